//! Property tests: the line parsers never panic on arbitrary input.

use proptest::prelude::*;
use verdict::ingest::{applog, jsonl, time};

proptest! {
    #[test]
    fn jsonl_never_panics(s in "\\PC{0,200}") {
        let mut out = Vec::new();
        let _ = jsonl::parse_line(&s, &mut out);
    }

    #[test]
    fn jsonl_on_json_like_text(s in "\\{(\"[a-z]{1,4}\":(\"[^\"]{0,5}\"|-?[0-9]{1,4}(\\.[0-9]{1,3})?|true|null|\\{\\}),?){0,6}\\}?") {
        let mut out = Vec::new();
        let _ = jsonl::parse_line(&s, &mut out);
    }

    #[test]
    fn applog_never_panics(prefix in "\\PC{0,40}", body in "[a-z=|0-9. ]{0,80}") {
        let mut out = Vec::new();
        let line = format!("{prefix}ab_event|{body}");
        let _ = applog::parse_line(&line, &mut out);
        let _ = applog::parse_line(&prefix, &mut out);
    }

    #[test]
    fn applog_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let s = String::from_utf8_lossy(&bytes);
        let mut out = Vec::new();
        let _ = applog::parse_line(&s, &mut out);
    }

    #[test]
    fn timestamps_never_panic(s in "\\PC{0,40}") {
        let _ = time::parse_timestamp_us(&s);
        let _ = applog::prefix_timestamp_us(&s);
    }

    #[test]
    fn timestamp_roundtrip(secs in 0i64..4_000_000_000, ms in 0i64..1000) {
        let us = secs * 1_000_000 + ms * 1000;
        let text = time::format_timestamp_us(us);
        prop_assert_eq!(time::parse_timestamp_us(&text), Some(us));
    }
}

#[test]
fn whole_files_of_random_bytes_never_panic() {
    use verdict::ingest::{load, LoadOptions};
    let dir = tempfile::tempdir().unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(40));
    runner
        .run(
            &(proptest::collection::vec(any::<u8>(), 0..2000), 0usize..4),
            |(bytes, ext)| {
                let name = ["x.jsonl", "x.csv", "x.log", "x.parquet"][ext];
                let p = dir.path().join(name);
                std::fs::write(&p, &bytes).unwrap();
                let _ = load(&[p.display().to_string()], &LoadOptions::default());
                Ok(())
            },
        )
        .unwrap();
}
