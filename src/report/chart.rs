//! Small line charts rasterised to PNG for the HTML report (no UI toolkit needed). Axis
//! ranges and units are written beside the image in HTML.

use image::{ImageEncoder, Rgba, RgbaImage};

/// One line of a chart.
pub struct ChartSeries {
    /// Legend name.
    pub name: String,
    /// RGB colour.
    pub color: [u8; 3],
    /// (x, y) points in data units.
    pub points: Vec<(f64, f64)>,
}

/// The Okabe–Ito colour-blind-safe palette, control first (same as the window).
pub const PALETTE: [[u8; 3]; 7] = [
    [0x00, 0x72, 0xB2],
    [0xE6, 0x9F, 0x00],
    [0x00, 0x9E, 0x73],
    [0xCC, 0x79, 0xA7],
    [0x56, 0xB4, 0xE9],
    [0xD5, 0x5E, 0x00],
    [0xF0, 0xE4, 0x42],
];

/// Data ranges of a chart: (x_min, x_max, y_min, y_max).
pub fn ranges(series: &[ChartSeries]) -> Option<(f64, f64, f64, f64)> {
    let pts = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite());
    let mut r: Option<(f64, f64, f64, f64)> = None;
    for &(x, y) in pts {
        r = Some(match r {
            None => (x, x, y, y),
            Some((a, b, c, d)) => (a.min(x), b.max(x), c.min(y), d.max(y)),
        });
    }
    r.map(|(a, b, c, d)| {
        let (c, d) = if c == d {
            (c - 1.0, d + 1.0)
        } else {
            (c.min(0.0_f64.max(c - (d - c) * 0.05)), d + (d - c) * 0.05)
        };
        let (a, b) = if a == b { (a - 1.0, b + 1.0) } else { (a, b) };
        (a, b, c, d)
    })
}

fn blend(img: &mut RgbaImage, x: i64, y: i64, c: [u8; 3], a: f32) {
    if x < 0 || y < 0 || x >= img.width() as i64 || y >= img.height() as i64 {
        return;
    }
    let p = img.get_pixel_mut(x as u32, y as u32);
    for i in 0..3 {
        p[i] = (p[i] as f32 * (1.0 - a) + c[i] as f32 * a) as u8;
    }
}

fn line(img: &mut RgbaImage, (x0, y0): (f64, f64), (x1, y1): (f64, f64), c: [u8; 3], width: f64) {
    let steps = ((x1 - x0).abs().max((y1 - y0).abs()) * 2.0).ceil().max(1.0) as usize;
    let r = width / 2.0;
    for i in 0..=steps {
        let t = i as f64 / steps as f64;
        let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
        let (xi, yi) = (x.floor() as i64, y.floor() as i64);
        for dx in -2..=2 {
            for dy in -2..=2 {
                let (px, py) = (xi + dx, yi + dy);
                let d = ((px as f64 + 0.5 - x).powi(2) + (py as f64 + 0.5 - y).powi(2)).sqrt();
                let a = (r + 0.5 - d).clamp(0.0, 1.0) as f32;
                if a > 0.0 {
                    blend(img, px, py, c, a * 0.6);
                }
            }
        }
    }
}

/// Renders the series as a `width` × `height` PNG.
pub fn render_png(series: &[ChartSeries], width: u32, height: u32) -> Vec<u8> {
    let mut img = RgbaImage::from_pixel(width, height, Rgba([255, 255, 255, 255]));
    let (l, r, t, b) = (8.0, width as f64 - 8.0, 8.0, height as f64 - 8.0);
    // frame and grid
    for i in 0..=4 {
        let y = t + (b - t) * i as f64 / 4.0;
        line(&mut img, (l, y), (r, y), [225, 225, 225], 1.0);
    }
    line(&mut img, (l, b), (r, b), [120, 120, 120], 1.0);
    line(&mut img, (l, t), (l, b), [120, 120, 120], 1.0);
    if let Some((x0, x1, y0, y1)) = ranges(series) {
        let px = |x: f64| l + (x - x0) / (x1 - x0) * (r - l);
        let py = |y: f64| b - (y - y0) / (y1 - y0) * (b - t);
        for s in series {
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|&(x, y)| (px(x), py(y)))
                .collect();
            for w in pts.windows(2) {
                line(&mut img, w[0], w[1], s.color, 2.2);
            }
            if pts.len() == 1 {
                line(&mut img, pts[0], pts[0], s.color, 5.0);
            }
        }
    }
    let mut out = Vec::new();
    let enc = image::codecs::png::PngEncoder::new(&mut out);
    let _ = enc.write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgba8);
    out
}

/// Standard base64 (RFC 4648) for data URIs.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc() {
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"f"), "Zg==");
    }

    #[test]
    fn renders_a_png() {
        let s = ChartSeries {
            name: "A".into(),
            color: PALETTE[0],
            points: vec![(0.0, 1.0), (1.0, 3.0), (2.0, 2.0)],
        };
        let png = render_png(&[s], 200, 100);
        assert_eq!(&png[1..4], b"PNG");
    }
}
