//! Bad input never panics: bad rows are rejected with file, line and reason; unreadable
//! files give exit code 2 and one line naming the file.

mod common;
use common::{verdict, write};

fn good_rows(n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"ts\":\"2025-12-13T13:03:{:02}Z\",\"user_id\":\"u{i}\",\"group\":\"{}\",\"latency_ms\":{},\"converted\":{}}}\n", i % 60, if i % 2 == 0 { "A" } else { "B" }, 10 + i, i % 2))
        .collect()
}

#[test]
fn bad_rows_are_rejected_with_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = good_rows(20);
    text.push_str("garbage line\n");
    text.push_str("{\"ts\":\"2025-12-13T13:03:39Z\",\"group\":\"A\",\"latency_ms\":\n");
    text.push_str("{\"ts\":\"2025-12-13T13:03:39Z\",\"group\":\"A\",\"latency_ms\":\"abc\"}\n");
    text.push('\n');
    text.push_str("[1,2,3]\n");
    text.push_str("{\"ts\":\"2025-12-13T13:03:39Z\",\"latency_ms\":5}\n");
    text.push_str("{\"ts\":\"not a time\",\"group\":\"B\",\"latency_ms\":5}\n");
    text.push_str("{\"ts\":\"2025-12-13T13:03:39Z\",\"group\":\"C\",\"latency_ms\":5}\n");
    let p = write(dir.path(), "log.jsonl", text.as_bytes());
    let (code, out, err) = verdict(&[
        "analyze",
        p.to_str().unwrap(),
        "--expected-split",
        "A=50,B=50",
    ]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let input = &r["input"];
    assert_eq!(input["rows_valid"], 20);
    assert_eq!(input["rows_rejected"], 8);
    assert_eq!(input["rows_read"], 28);
    let by = &input["rejected_by_reason"];
    for (reason, n) in [
        ("not_json_object", 2),
        ("truncated", 1),
        ("wrong_type", 1),
        ("empty_line", 1),
        ("missing_group", 1),
        ("bad_timestamp", 1),
        ("unknown_group", 1),
    ] {
        assert_eq!(by[reason], n, "{reason}: {by}");
    }
    let rejected = input["rejected"].as_array().unwrap();
    assert_eq!(rejected[0]["line"], 21);
    assert!(rejected[0]["file"].as_str().unwrap().ends_with("log.jsonl"));
    assert!(
        rejected[2]["reason"]
            .as_str()
            .unwrap()
            .contains("latency_ms"),
        "{}",
        rejected[2]
    );
    assert_eq!(rejected[2]["line"], 23);
}

#[test]
fn unreadable_files_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.jsonl", b"");
    let binary = write(
        dir.path(),
        "blob.jsonl",
        [0u8, 159, 146, 150, 0, 1, 2, 3, 255, 254],
    );
    let nogroup = write(
        dir.path(),
        "nogroup.jsonl",
        b"{\"latency_ms\": 3}\n{\"latency_ms\": 4}\n",
    );
    let missing = dir.path().join("missing.jsonl");
    let plan = write(
        dir.path(),
        "verdict.toml",
        b"primary_metrc = \"converted\"\n",
    );
    let good = write(dir.path(), "good.jsonl", good_rows(10).as_bytes());
    let late = write(
        dir.path(),
        "late.toml",
        b"experiment_start = \"2099-01-01T00:00:00Z\"\n",
    );
    let no_pre = write(
        dir.path(),
        "no_pre.toml",
        b"pre_period = [\"nothing/*.jsonl\"]\n",
    );
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![empty.display().to_string()], "empty"),
        (vec![binary.display().to_string()], "binary"),
        (vec![nogroup.display().to_string()], "no group column"),
        (vec![missing.display().to_string()], "no such file"),
        (
            vec![
                good.display().to_string(),
                "--plan".into(),
                plan.display().to_string(),
            ],
            "primary_metrc",
        ),
        (
            vec![good.display().to_string(), "--control".into(), "Z".into()],
            "control group",
        ),
        (
            vec![good.display().to_string(), "--bucket".into(), "7x".into()],
            "bucket",
        ),
        (
            vec![
                good.display().to_string(),
                "--inference".into(),
                "bayes".into(),
            ],
            "--inference",
        ),
        (
            vec![
                good.display().to_string(),
                "--plan".into(),
                late.display().to_string(),
            ],
            "experiment_start",
        ),
        (
            vec![
                good.display().to_string(),
                "--plan".into(),
                no_pre.display().to_string(),
            ],
            "no file matches",
        ),
    ];
    for (args, needle) in cases {
        let mut full = vec!["analyze"];
        full.extend(args.iter().map(String::as_str));
        let (code, out, err) = verdict(&full);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains(needle), "{err} should mention {needle}");
        if ![
            "control",
            "bucket",
            "primary",
            "--inference",
            "no file matches",
        ]
        .iter()
        .any(|n| needle.contains(n))
        {
            assert!(err.contains(&args[0]), "{err} names the file");
        }
        assert!(!err.contains("panicked"));
    }
    let (code, _, _) = verdict(&["analyze"]);
    assert_eq!(code, 2, "usage error");
}

#[test]
fn truncated_gzip_and_garbage_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, good_rows(500).as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let p = write(dir.path(), "cut.jsonl.gz", &bytes[..bytes.len() / 2]);
    let (code, _, err) = verdict(&["analyze", p.to_str().unwrap()]);
    assert!(code == 0 || code == 2, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for (i, junk) in [
        &b"{{{{"[..],
        b"\xff\xfe{\"a\":1}",
        b",,,,\n,,,\n",
        b"ab_event|",
        b"a,b\n1",
    ]
    .iter()
    .enumerate()
    {
        let p = write(dir.path(), &format!("junk{i}.log"), junk);
        let (code, _, err) = verdict(&["analyze", p.to_str().unwrap()]);
        assert_eq!(code, 2, "{junk:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn markdown_and_out_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.md");
    let (code, _, err) = verdict(&[
        "analyze",
        "sample_data/experiment.jsonl",
        "--plan",
        "sample_data/verdict.toml",
        "--format",
        "md",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(out).unwrap();
    assert!(md.starts_with("# Verdict: "));
    assert!(md.contains("| converted | delta_ratio | A | B |"), "{md}");
    assert!(md.contains("### converted by device"), "{md}");
}

#[test]
fn an_unknown_unit_column_exits_2_naming_it() {
    let (code, _, err) = verdict(&[
        "analyze",
        "sample_data/experiment.parquet",
        "--unit",
        "customer_id",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("customer_id"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
