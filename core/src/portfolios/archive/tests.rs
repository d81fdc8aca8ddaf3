//! Tests of reading and writing archives.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::central::{
    declared_entry_count, signatures, CENTRAL_HEADER_SIGNATURE, EOCD64_SIGNATURE, EOCD_SIGNATURE,
};
use super::export::write_zip;
use super::import::{read_capped, read_zip, safe_entry_name};
use super::limits::{Archive, ArchiveError, ArchiveLimits};

fn raw_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut count = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            count += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    count
}

/// Offsets of the local file headers and central directory headers.
fn headers(bytes: &[u8]) -> (Vec<usize>, Vec<usize>) {
    (
        signatures(bytes, 0, bytes.len(), *b"PK\x03\x04"),
        signatures(bytes, 0, bytes.len(), CENTRAL_HEADER_SIGNATURE),
    )
}

fn code_of(result: Result<Archive, ArchiveError>) -> &'static str {
    result.unwrap_err().code()
}

#[test]
fn round_trip() {
    let files = vec![
        ("portfolio.json".to_string(), br#"{"posts":[]}"#.to_vec()),
        (
            "media/photo-1.jpg".to_string(),
            vec![0xFF, 0xD8, 0xFF, 0x00, 0x42],
        ),
        ("media/empty.bin".to_string(), Vec::new()),
        (
            "media/big.txt".to_string(),
            "hello world ".repeat(10_000).into_bytes(),
        ),
    ];
    let bytes = write_zip(&files).unwrap();
    let archive = read_zip(&bytes, &ArchiveLimits::default()).unwrap();
    let expected: BTreeMap<String, Vec<u8>> = files.into_iter().collect();
    assert_eq!(archive.files, expected);
}

#[test]
fn write_is_deterministic_and_keeps_order() {
    let files = vec![
        ("b.txt".to_string(), b"second".to_vec()),
        ("a.txt".to_string(), b"first".to_vec()),
    ];
    let one = write_zip(&files).unwrap();
    let two = write_zip(&files).unwrap();
    assert_eq!(one, two);
    let zip = ZipArchive::new(Cursor::new(&one[..])).unwrap();
    let names: Vec<_> = zip.file_names().map(|n| n.unwrap().to_string()).collect();
    assert_eq!(names, ["b.txt", "a.txt"]);
}

#[test]
fn write_refuses_unsafe_and_duplicate_names() {
    let err = write_zip(&[("../x".to_string(), Vec::new())]).unwrap_err();
    assert_eq!(err.code(), "archive_unsafe_path");
    let dup = vec![("a".to_string(), Vec::new()), ("a".to_string(), Vec::new())];
    assert_eq!(
        write_zip(&dup).unwrap_err().code(),
        "archive_duplicate_entry"
    );
}

#[test]
fn empty_archive_reads_as_empty() {
    let bytes = write_zip(&[]).unwrap();
    assert!(read_zip(&bytes, &ArchiveLimits::default())
        .unwrap()
        .files
        .is_empty());
}

#[test]
fn safe_entry_name_rules() {
    for good in [
        "portfolio.json",
        "media/a-b_c.1.png",
        "a/b/c",
        ".hidden",
        "a..b",
    ] {
        assert!(safe_entry_name(good), "{good} should be accepted");
    }
    let long = "a".repeat(201);
    for bad in [
        "",
        "../evil",
        "/etc/passwd",
        "a/../../b",
        "./a",
        "a/./b",
        "a//b",
        "a/",
        "...",
        "C:\\x",
        "C:x",
        "a\\b",
        "a\0b",
        "a\nb",
        "a b",
        "caf\u{e9}",
        "a%2f..",
        long.as_str(),
    ] {
        assert!(!safe_entry_name(bad), "{bad:?} should be refused");
    }
    assert!(safe_entry_name(&"a".repeat(200)));
}

#[test]
fn unsafe_names_are_refused() {
    for name in [
        "../evil",
        "/etc/passwd",
        "a/../../b",
        "C:\\x",
        "a\\b",
        "a\u{1}b",
    ] {
        let bytes = raw_zip(&[("ok.txt", b"fine"), (name, b"bad")]);
        let err = read_zip(&bytes, &ArchiveLimits::default()).unwrap_err();
        assert_eq!(err.code(), "archive_unsafe_path", "{name:?}: {err}");
    }
}

#[test]
fn unsafe_directory_names_are_refused_and_safe_ones_skipped() {
    let options = SimpleFileOptions::default();
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer.add_directory("media/", options).unwrap();
    writer.start_file("media/a.txt", options).unwrap();
    writer.write_all(b"a").unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    let archive = read_zip(&bytes, &ArchiveLimits::default()).unwrap();
    assert_eq!(archive.files.keys().collect::<Vec<_>>(), ["media/a.txt"]);

    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer.add_directory("../up/", options).unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    assert_eq!(
        code_of(read_zip(&bytes, &ArchiveLimits::default())),
        "archive_unsafe_path"
    );
}

#[test]
fn symlink_entry_is_refused() {
    let options = SimpleFileOptions::default();
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer.start_file("portfolio.json", options).unwrap();
    writer.write_all(b"{}").unwrap();
    writer
        .add_symlink("media/link", "/etc/passwd", options)
        .unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    let err = read_zip(&bytes, &ArchiveLimits::default()).unwrap_err();
    assert_eq!(err.code(), "archive_unsafe_path");
    assert!(err.to_string().contains("symbolic link"), "{err}");
}

#[test]
fn symlink_mode_bits_are_refused_whatever_the_system() {
    // S_IFLNK in the upper half of the external attributes, but "made by" MS-DOS.
    let options = SimpleFileOptions::default()
        .system(zip::System::Dos)
        .external_attributes(0o120_777 << 16);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer.start_file("link", options).unwrap();
    writer.write_all(b"/etc/passwd").unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    assert_eq!(
        code_of(read_zip(&bytes, &ArchiveLimits::default())),
        "archive_unsafe_path"
    );
}

#[test]
fn special_file_entry_is_refused() {
    // A FIFO (S_IFIFO) in the Unix mode bits.
    let options = SimpleFileOptions::default().external_attributes(0o010_644 << 16);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer.start_file("fifo", options).unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    assert_eq!(
        code_of(read_zip(&bytes, &ArchiveLimits::default())),
        "archive_unsafe_path"
    );
}

#[test]
fn duplicate_entry_is_refused() {
    let mut bytes = raw_zip(&[("a.txt", b"one"), ("b.txt", b"two")]);
    // Rename b.txt to a.txt in its local and central headers.
    assert_eq!(replace_all(&mut bytes, b"b.txt", b"a.txt"), 2);
    let err = read_zip(&bytes, &ArchiveLimits::default()).unwrap_err();
    assert_eq!(err.code(), "archive_duplicate_entry");
    assert!(err.to_string().contains("\"a.txt\""), "{err}");
}

#[test]
fn too_many_entries_is_refused() {
    let entries: Vec<(String, Vec<u8>)> = (0..6).map(|i| (format!("f{i}"), vec![b'x'])).collect();
    let bytes = write_zip(&entries).unwrap();
    let limits = ArchiveLimits {
        max_entries: 5,
        ..ArchiveLimits::default()
    };
    assert_eq!(
        code_of(read_zip(&bytes, &limits)),
        "archive_too_many_entries"
    );
    let limits = ArchiveLimits {
        max_entries: 6,
        ..ArchiveLimits::default()
    };
    assert_eq!(read_zip(&bytes, &limits).unwrap().files.len(), 6);
}

#[test]
fn zip64_entry_count_is_checked_before_parsing() {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    // An extensible data sector makes the writer emit ZIP64 end records.
    writer.set_raw_zip64_extensible_data_sector(vec![0u8; 4].into_boxed_slice());
    writer
        .start_file("a.txt", SimpleFileOptions::default())
        .unwrap();
    writer.write_all(b"a").unwrap();
    let mut bytes = writer.finish().unwrap().into_inner();
    assert_eq!(declared_entry_count(&bytes), 1);
    assert_eq!(
        read_zip(&bytes, &ArchiveLimits::default())
            .unwrap()
            .files
            .len(),
        1
    );

    // Claim ten million entries in the ZIP64 record and 0xFFFF in the classic one.
    let eocd64 = signatures(&bytes, 0, bytes.len(), EOCD64_SIGNATURE)[0];
    let huge = 10_000_000u64.to_le_bytes();
    bytes[eocd64 + 24..eocd64 + 32].copy_from_slice(&huge);
    bytes[eocd64 + 32..eocd64 + 40].copy_from_slice(&huge);
    let eocd = signatures(&bytes, 0, bytes.len(), EOCD_SIGNATURE)[0];
    bytes[eocd + 8..eocd + 12].copy_from_slice(&[0xFF; 4]);
    assert_eq!(declared_entry_count(&bytes), 10_000_000);
    assert_eq!(
        code_of(read_zip(&bytes, &ArchiveLimits::default())),
        "archive_too_many_entries"
    );
}

#[test]
fn archive_over_size_limit_is_refused_before_parsing() {
    let limits = ArchiveLimits {
        max_archive_bytes: 10,
        ..ArchiveLimits::default()
    };
    // Not even a zip: the size check comes first.
    assert_eq!(code_of(read_zip(&[0u8; 11], &limits)), "archive_too_large");
}

#[test]
fn truncated_archive_is_malformed() {
    let bytes = write_zip(&[
        ("portfolio.json".to_string(), b"{}".to_vec()),
        ("media/a.bin".to_string(), vec![7u8; 5000]),
    ])
    .unwrap();
    for len in [0, 1, 4, 21, bytes.len() / 2, bytes.len() - 1] {
        let err = read_zip(&bytes[..len], &ArchiveLimits::default()).unwrap_err();
        assert_eq!(err.code(), "archive_malformed", "length {len}: {err}");
    }
}

#[test]
fn random_bytes_are_malformed() {
    // A fixed xorshift sequence, so the test is reproducible.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..100_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    assert_eq!(
        code_of(read_zip(&bytes, &ArchiveLimits::default())),
        "archive_malformed"
    );
    assert_eq!(
        code_of(read_zip(
            b"<html>not a zip</html>",
            &ArchiveLimits::default()
        )),
        "archive_malformed"
    );
}

#[test]
fn corrupted_data_is_malformed() {
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let mut bytes = write_zip(&[("a.bin".to_string(), data)]).unwrap();
    let (locals, _) = headers(&bytes);
    // Flip bytes in the middle of the compressed data: CRC or deflate error.
    let start = locals[0] + 30 + "a.bin".len() + 10;
    for b in &mut bytes[start..start + 20] {
        *b ^= 0x5A;
    }
    assert_eq!(
        code_of(read_zip(&bytes, &ArchiveLimits::default())),
        "archive_malformed"
    );
}

#[test]
fn encrypted_entry_is_malformed() {
    let mut bytes = raw_zip(&[("a.txt", b"secret")]);
    let (locals, centrals) = headers(&bytes);
    // Set bit 0 (encrypted) of the general purpose flags in both headers.
    bytes[locals[0] + 6] |= 1;
    bytes[centrals[0] + 8] |= 1;
    let err = read_zip(&bytes, &ArchiveLimits::default()).unwrap_err();
    assert_eq!(err.code(), "archive_malformed");
    assert!(err.to_string().contains("encrypted"), "{err}");
}

fn zeros_bomb(len: usize) -> Vec<u8> {
    raw_zip(&[
        ("portfolio.json", b"{}"),
        ("media/zeros.bin", &vec![0u8; len]),
    ])
}

#[test]
fn zip_bomb_is_refused_by_ratio() {
    let bytes = zeros_bomb(50 * 1024 * 1024);
    assert!(bytes.len() < 1024 * 1024, "{}", bytes.len());
    let err = read_zip(&bytes, &ArchiveLimits::default()).unwrap_err();
    assert_eq!(err.code(), "archive_bomb");
    assert!(
        err.to_string().contains("expands more than 100 times"),
        "{err}"
    );
}

#[test]
fn zip_bomb_is_refused_by_total() {
    let bytes = zeros_bomb(50 * 1024 * 1024);
    let limits = ArchiveLimits {
        max_total_bytes: 10 * 1024 * 1024,
        max_ratio: u64::MAX,
        ..ArchiveLimits::default()
    };
    let err = read_zip(&bytes, &limits).unwrap_err();
    assert_eq!(err.code(), "archive_bomb");
    assert!(err.to_string().contains("add up to more than"), "{err}");
}

#[test]
fn entry_over_size_limit_is_refused() {
    let bytes = raw_zip(&[("a.bin", &[1u8; 5000])]);
    let limits = ArchiveLimits {
        max_entry_bytes: 4999,
        ..ArchiveLimits::default()
    };
    assert_eq!(code_of(read_zip(&bytes, &limits)), "archive_bomb");
    let limits = ArchiveLimits {
        max_entry_bytes: 5000,
        ..ArchiveLimits::default()
    };
    assert_eq!(
        read_zip(&bytes, &limits).unwrap().files["a.bin"].len(),
        5000
    );
}

#[test]
fn small_entries_are_exempt_from_the_ratio() {
    // 1 MiB of zeros compresses about a thousand times, but is not above 1 MiB.
    let bytes = zeros_bomb(1024 * 1024);
    let archive = read_zip(&bytes, &ArchiveLimits::default()).unwrap();
    assert_eq!(archive.files["media/zeros.bin"].len(), 1024 * 1024);
}

/// Rewrites the uncompressed size of every entry, in the local and the central headers.
fn lie_about_sizes(bytes: &mut [u8], size: u32) {
    let (locals, centrals) = headers(bytes);
    for at in locals {
        bytes[at + 22..at + 26].copy_from_slice(&size.to_le_bytes());
    }
    for at in centrals {
        bytes[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
    }
}

#[test]
fn declared_size_lie_is_refused() {
    // 50 MiB of zeros that claim to be 1000 bytes: the declared sizes pass every check,
    // the decompressed bytes must not.
    let mut bytes = raw_zip(&[("media/zeros.bin", &vec![0u8; 50 * 1024 * 1024])]);
    lie_about_sizes(&mut bytes, 1000);
    let err = read_zip(&bytes, &ArchiveLimits::default()).unwrap_err();
    assert!(
        matches!(err.code(), "archive_bomb" | "archive_malformed"),
        "{err}"
    );
}

#[test]
fn read_capped_stops_at_the_cap() {
    // An endless reader: only the cap ends the read.
    assert!(read_capped(std::io::repeat(0), 1000, 10).unwrap().is_none());
    let data = read_capped(&[1u8; 1000][..], 1000, 1_000_000)
        .unwrap()
        .unwrap();
    assert_eq!(data.len(), 1000);
    assert!(read_capped(&[1u8; 1001][..], 1000, 0).unwrap().is_none());
}

#[test]
fn error_codes_are_stable() {
    let cases = [
        (ArchiveError::TooLarge, "archive_too_large"),
        (ArchiveError::Malformed(String::new()), "archive_malformed"),
        (
            ArchiveError::UnsafePath(String::new()),
            "archive_unsafe_path",
        ),
        (ArchiveError::TooManyEntries, "archive_too_many_entries"),
        (ArchiveError::Bomb(String::new()), "archive_bomb"),
        (
            ArchiveError::Duplicate(String::new()),
            "archive_duplicate_entry",
        ),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn error_messages_escape_names() {
    let bytes = raw_zip(&[("a\nb\u{1b}[31m", b"x")]);
    let err = read_zip(&bytes, &ArchiveLimits::default()).unwrap_err();
    let message = err.to_string();
    assert!(
        !message.contains('\n') && !message.contains('\u{1b}'),
        "{message}"
    );
}
