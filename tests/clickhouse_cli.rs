//! `verdict analyze clickhouse://...` without a server: a password in the address, an
//! unreachable server and ClickHouse flags on files are each one line and exit code 2,
//! never with the password.

mod common;
use common::verdict;

#[test]
fn bad_addresses_and_unreachable_servers_are_one_line() {
    let (code, out, err) = verdict(&["analyze", "clickhouse://analyst:s3cret@127.0.0.1:9/db.t"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    assert!(err.contains("VERDICT_CLICKHOUSE_PASSWORD"), "{err}");
    // nothing listens on port 9 of this machine's loopback (discard is not run here)
    let (code, _, err) = verdict(&["analyze", "clickhouse://127.0.0.1:9/db.t"]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("127.0.0.1:9"), "{err}");
    let (code, _, err) = verdict(&["analyze", "sample_data/experiment.csv", "--where", "x = 1"]);
    assert_eq!(code, 2);
    assert!(err.contains("ClickHouse"), "{err}");
}
