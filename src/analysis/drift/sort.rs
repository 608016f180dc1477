//! Sorting finite `f64` samples fast: an LSD radix sort on order-preserving integer keys
//! (four 16-bit passes), several times faster than a comparison sort at a million values.

/// Maps a finite double to a `u64` whose unsigned order is the numeric order.
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

fn unkey(k: u64) -> f64 {
    let b = if k >> 63 == 1 { k & !(1 << 63) } else { !k };
    f64::from_bits(b)
}

/// Sorts finite values ascending (no NaN; `-0.0` should already be `0.0`).
pub fn sort_f64(values: &mut Vec<f64>) {
    if values.len() < 4096 {
        values.sort_unstable_by(f64::total_cmp);
        return;
    }
    let mut keys: Vec<u64> = values.iter().map(|&x| key(x)).collect();
    let mut tmp = vec![0u64; keys.len()];
    for pass in 0..4 {
        let shift = pass * 16;
        let mut counts = vec![0usize; 1 << 16];
        for &k in &keys {
            counts[((k >> shift) & 0xffff) as usize] += 1;
        }
        // Skip passes where every key has the same digit.
        if counts.iter().any(|&c| c == keys.len()) {
            continue;
        }
        let mut pos = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = pos;
            pos += n;
        }
        for &k in &keys {
            let d = ((k >> shift) & 0xffff) as usize;
            tmp[counts[d]] = k;
            counts[d] += 1;
        }
        std::mem::swap(&mut keys, &mut tmp);
    }
    for (v, k) in values.iter_mut().zip(keys) {
        *v = unkey(k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_a_comparison_sort() {
        let mut rng = crate::sample::Rng::new(7);
        let mut v: Vec<f64> = (0..20_000)
            .map(|i| match i % 5 {
                0 => -rng.uniform() * 1e6,
                1 => rng.uniform() * 1e-300,
                2 => (i % 17) as f64,
                3 => -1.5,
                _ => rng.uniform(),
            })
            .collect();
        v.push(f64::MAX);
        v.push(f64::MIN);
        let mut want = v.clone();
        want.sort_unstable_by(f64::total_cmp);
        sort_f64(&mut v);
        assert_eq!(v, want);
    }
}
