//! Safe reading and writing of zip archives (portfolio export and import: a `portfolio.json`
//! plus `media/<file>` entries).
//!
//! Reading is defensive: an uploaded archive is untrusted input. [`read_zip`] checks the size of
//! the archive before parsing it, the number of entries before the central directory is walked,
//! every entry name and type, and the declared sizes before anything is decompressed. Then it
//! enforces the limits again on the bytes actually decompressed, so an entry that lies about its
//! size is stopped at the limit instead of filling memory.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipReadOptions, ZipWriter};

const MIB: u64 = 1024 * 1024;

/// Entries that decompress to at most this many bytes are never refused for their ratio.
const RATIO_FREE_BYTES: u64 = MIB;

/// The longest entry name accepted, in bytes.
const MAX_NAME_BYTES: usize = 200;

/// How much of an offending name is echoed back in an error message.
const MAX_NAME_IN_MESSAGE: usize = 100;

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// Limits applied by [`read_zip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// The largest archive accepted, in bytes, checked before parsing.
    pub max_archive_bytes: usize,
    /// The most entries (files and directories) accepted.
    pub max_entries: usize,
    /// The most bytes all files may decompress to, together.
    pub max_total_bytes: u64,
    /// The most bytes one file may decompress to.
    pub max_entry_bytes: u64,
    /// The highest decompressed/compressed ratio accepted for a file larger than 1 MiB.
    pub max_ratio: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            max_archive_bytes: 200 * 1024 * 1024,
            max_entries: 2000,
            max_total_bytes: 512 * MIB,
            max_entry_bytes: 100 * MIB,
            max_ratio: 100,
        }
    }
}

/// Why an archive was refused.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("the archive is too large")]
    TooLarge,
    #[error("the archive is not a valid zip file: {0}")]
    Malformed(String),
    #[error("the archive contains an unsafe entry: {0}")]
    UnsafePath(String),
    #[error("the archive contains too many entries")]
    TooManyEntries,
    #[error("the archive decompresses to too much data: {0}")]
    Bomb(String),
    #[error("the archive contains the entry {0} more than once")]
    Duplicate(String),
}

impl ArchiveError {
    /// A stable, machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "archive_too_large",
            Self::Malformed(_) => "archive_malformed",
            Self::UnsafePath(_) => "archive_unsafe_path",
            Self::TooManyEntries => "archive_too_many_entries",
            Self::Bomb(_) => "archive_bomb",
            Self::Duplicate(_) => "archive_duplicate_entry",
        }
    }
}

/// The files of an archive, by entry name. Directory entries are not kept.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Archive {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl fmt::Debug for Archive {
    // Names and sizes only: the contents can be megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.files.iter().map(|(name, data)| (name, data.len())))
            .finish()
    }
}

/// Whether `name` is acceptable as an entry name: a relative path of at most 200 bytes whose
/// `/`-separated components are non-empty, are not made of dots only (`.`, `..`), and contain
/// only ASCII letters, digits, `-`, `_` and `.`. That rules out absolute paths, backslashes,
/// drive letters (`:`), NUL and other control characters, and anything outside ASCII.
pub fn safe_entry_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && name.split('/').all(|component| {
            !component.is_empty()
                && !component.bytes().all(|b| b == b'.')
                && component
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

/// Reads a zip archive held in memory, refusing anything unsafe or over `limits` (see the module
/// documentation). Never panics on bad input.
pub fn read_zip(bytes: &[u8], limits: &ArchiveLimits) -> Result<Archive, ArchiveError> {
    if bytes.len() > limits.max_archive_bytes {
        return Err(ArchiveError::TooLarge);
    }
    // The zip crate allocates for every central directory record it walks, and walks as many as
    // the end-of-central-directory record declares: check that number first.
    if declared_entry_count(bytes) > limits.max_entries as u64 {
        return Err(ArchiveError::TooManyEntries);
    }
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed(&e))?;
    if zip.len() > limits.max_entries {
        return Err(ArchiveError::TooManyEntries);
    }
    if zip.has_duplicate_names() {
        let name = find_duplicate_name(bytes, zip.central_directory_start(), limits.max_entries)
            .unwrap_or_else(|| "(unknown)".to_string());
        return Err(ArchiveError::Duplicate(name));
    }

    // First pass: metadata only, nothing is decompressed.
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    let mut declared_total: u64 = 0;
    for index in 0..zip.len() {
        let entry = zip.by_index_data(index).map_err(|e| malformed(&e))?;
        let raw_name = entry.name_raw();
        let shown = shown_name(raw_name);
        let Ok(name) = std::str::from_utf8(raw_name) else {
            return Err(ArchiveError::UnsafePath(shown));
        };
        let name_ok = match name.strip_suffix('/') {
            Some(dir) => safe_entry_name(dir),
            None => safe_entry_name(name),
        };
        if !name_ok {
            return Err(ArchiveError::UnsafePath(shown));
        }
        check_entry_type(
            entry.is_symlink(),
            entry.external_attributes(),
            entry.unix_mode(),
            &shown,
        )?;
        if entry.encrypted() {
            return Err(ArchiveError::Malformed(format!(
                "{shown} is encrypted, which is not supported"
            )));
        }
        if name.ends_with('/') || entry.is_dir() {
            continue;
        }
        if !matches!(
            entry.compression(),
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            return Err(ArchiveError::Malformed(format!(
                "{shown} uses an unsupported compression method"
            )));
        }
        if !seen.insert(name.to_string()) {
            return Err(ArchiveError::Duplicate(shown));
        }
        let declared = entry.size();
        let compressed = entry.compressed_size();
        if declared > limits.max_entry_bytes {
            return Err(entry_too_large(&shown, limits));
        }
        if declared > ratio_cap(compressed, limits) {
            return Err(ratio_exceeded(&shown, limits));
        }
        declared_total = declared_total.saturating_add(declared);
        if declared_total > limits.max_total_bytes {
            return Err(total_too_large(limits));
        }
        files.push((index, name.to_string(), shown, declared, compressed));
    }

    // Second pass: decompress, enforcing the limits on the bytes actually produced.
    let mut archive = Archive::default();
    let mut total: u64 = 0;
    for (index, name, shown, declared, compressed) in files {
        let remaining = limits.max_total_bytes.saturating_sub(total);
        let ratio_limit = ratio_cap(compressed, limits);
        let cap = limits.max_entry_bytes.min(remaining).min(ratio_limit);
        let options = ZipReadOptions::new().enforce_header_consistency(true);
        let file = zip
            .by_index_with_options(index, options)
            .map_err(|e| ArchiveError::Malformed(format!("{shown}: {e}")))?;
        let data = read_capped(file, cap, declared)
            .map_err(|e| ArchiveError::Malformed(format!("{shown}: {e}")))?;
        let Some(data) = data else {
            return Err(if cap == limits.max_entry_bytes {
                entry_too_large(&shown, limits)
            } else if cap == ratio_limit {
                ratio_exceeded(&shown, limits)
            } else {
                total_too_large(limits)
            });
        };
        total = total.saturating_add(data.len() as u64);
        archive.files.insert(name, data);
    }
    Ok(archive)
}

/// Writes `files` into a zip archive, deflated, in the order given. The output depends only on
/// the input (entries carry a fixed timestamp). Names must pass [`safe_entry_name`] and must not
/// repeat.
pub fn write_zip(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, ArchiveError> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let mut seen = BTreeSet::new();
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        if !safe_entry_name(name) {
            return Err(ArchiveError::UnsafePath(shown_name(name.as_bytes())));
        }
        if !seen.insert(name.as_str()) {
            return Err(ArchiveError::Duplicate(shown_name(name.as_bytes())));
        }
        writer
            .start_file(name.as_str(), options)
            .map_err(|e| malformed(&e))?;
        writer
            .write_all(data)
            .map_err(|e| ArchiveError::Malformed(e.to_string()))?;
    }
    let cursor = writer.finish().map_err(|e| malformed(&e))?;
    Ok(cursor.into_inner())
}

fn malformed(error: &zip::result::ZipError) -> ArchiveError {
    ArchiveError::Malformed(error.to_string())
}

fn entry_too_large(shown: &str, limits: &ArchiveLimits) -> ArchiveError {
    ArchiveError::Bomb(format!(
        "{shown} is larger than {} bytes",
        limits.max_entry_bytes
    ))
}

fn ratio_exceeded(shown: &str, limits: &ArchiveLimits) -> ArchiveError {
    ArchiveError::Bomb(format!(
        "{shown} expands more than {} times",
        limits.max_ratio
    ))
}

fn total_too_large(limits: &ArchiveLimits) -> ArchiveError {
    ArchiveError::Bomb(format!(
        "the files add up to more than {} bytes",
        limits.max_total_bytes
    ))
}

/// The most bytes an entry of `compressed` bytes may decompress to under the ratio rule.
fn ratio_cap(compressed: u64, limits: &ArchiveLimits) -> u64 {
    compressed
        .saturating_mul(limits.max_ratio)
        .max(RATIO_FREE_BYTES)
}

/// Refuses symbolic links and special files (devices, FIFOs, sockets): only regular files and
/// directories may be imported.
fn check_entry_type(
    is_symlink: bool,
    external_attributes: u32,
    unix_mode: Option<u32>,
    shown: &str,
) -> Result<(), ArchiveError> {
    let raw_type = (external_attributes >> 16) & S_IFMT;
    if is_symlink || raw_type == S_IFLNK {
        return Err(ArchiveError::UnsafePath(format!(
            "{shown} is a symbolic link"
        )));
    }
    let special = |kind: u32| kind != 0 && kind != S_IFREG && kind != S_IFDIR;
    if special(raw_type) || unix_mode.is_some_and(|mode| special(mode & S_IFMT)) {
        return Err(ArchiveError::UnsafePath(format!(
            "{shown} is not a regular file"
        )));
    }
    Ok(())
}

/// Reads everything from `reader` as long as it is at most `cap` bytes, never buffering more
/// than `cap + 1` bytes; `Ok(None)` when there is more. `size_hint` (the declared size) only
/// sizes the first allocation.
fn read_capped<R: Read>(reader: R, cap: u64, size_hint: u64) -> std::io::Result<Option<Vec<u8>>> {
    let initial = usize::try_from(size_hint.min(cap)).unwrap_or(0);
    let mut data = Vec::with_capacity(initial);
    reader.take(cap.saturating_add(1)).read_to_end(&mut data)?;
    if data.len() as u64 > cap {
        return Ok(None);
    }
    data.shrink_to_fit();
    Ok(Some(data))
}

/// An entry name fit for an error message: lossy UTF-8, shortened, control characters escaped.
fn shown_name(raw: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(raw);
    let mut short: String = lossy.chars().take(MAX_NAME_IN_MESSAGE).collect();
    if lossy.chars().count() > MAX_NAME_IN_MESSAGE {
        short.push('…');
    }
    format!("\"{}\"", short.escape_debug())
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let slice = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([slice[0], slice[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let slice = bytes.get(at..at.checked_add(4)?)?;
    let mut array = [0u8; 4];
    array.copy_from_slice(slice);
    Some(u32::from_le_bytes(array))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let slice = bytes.get(at..at.checked_add(8)?)?;
    let mut array = [0u8; 8];
    array.copy_from_slice(slice);
    Some(u64::from_le_bytes(array))
}

/// Positions of `signature` in `bytes[start..end]`.
fn signatures(bytes: &[u8], start: usize, end: usize, signature: [u8; 4]) -> Vec<usize> {
    bytes
        .get(start..end.min(bytes.len()))
        .unwrap_or_default()
        .windows(4)
        .enumerate()
        .filter(|(_, window)| *window == signature)
        .map(|(offset, _)| start + offset)
        .collect()
}

const EOCD_SIGNATURE: [u8; 4] = *b"PK\x05\x06";
const EOCD64_SIGNATURE: [u8; 4] = *b"PK\x06\x06";
const EOCD64_LOCATOR_SIGNATURE: [u8; 4] = *b"PK\x06\x07";
const CENTRAL_HEADER_SIGNATURE: [u8; 4] = *b"PK\x01\x02";
const EOCD_LEN: usize = 22;
const EOCD64_LOCATOR_LEN: usize = 20;

/// The highest entry count declared by any end-of-central-directory record a zip reader could
/// pick: every candidate in the last 64 KiB (the longest archive comment) and, for ZIP64
/// candidates, every ZIP64 record between where the locator points and the locator. Upper bound
/// only: a count that a reader would not use may make this larger, never smaller.
fn declared_entry_count(bytes: &[u8]) -> u64 {
    let tail_start = bytes
        .len()
        .saturating_sub(EOCD_LEN + usize::from(u16::MAX) + 1);
    let mut highest = 0u64;
    for eocd in signatures(bytes, tail_start, bytes.len(), EOCD_SIGNATURE) {
        let (Some(on_disk), Some(total), Some(cd_size), Some(cd_offset)) = (
            u16_at(bytes, eocd + 8),
            u16_at(bytes, eocd + 10),
            u32_at(bytes, eocd + 12),
            u32_at(bytes, eocd + 16),
        ) else {
            continue;
        };
        let may_be_zip64 = on_disk == u16::MAX
            || total == u16::MAX
            || cd_size == u32::MAX
            || cd_offset == u32::MAX;
        let locator = eocd
            .checked_sub(EOCD64_LOCATOR_LEN)
            .filter(|&at| may_be_zip64 && bytes.get(at..at + 4) == Some(&EOCD64_LOCATOR_SIGNATURE));
        match locator {
            Some(locator) => {
                for count in [on_disk, total] {
                    if count != u16::MAX {
                        highest = highest.max(u64::from(count));
                    }
                }
                let pointed = u64_at(bytes, locator + 8).unwrap_or(0);
                let start = usize::try_from(pointed).unwrap_or(usize::MAX).min(locator);
                for eocd64 in signatures(bytes, start, locator, EOCD64_SIGNATURE) {
                    for field in [24, 32] {
                        highest = highest.max(u64_at(bytes, eocd64 + field).unwrap_or(0));
                    }
                }
            }
            None => highest = highest.max(u64::from(on_disk.max(total))),
        }
    }
    highest
}

/// Best effort: the first name that occurs twice in the central directory starting at `start`,
/// looking at no more than `max_entries + 1` records. Only used for the error message.
fn find_duplicate_name(bytes: &[u8], start: u64, max_entries: usize) -> Option<String> {
    let mut at = usize::try_from(start).ok()?;
    let mut seen = BTreeSet::new();
    for _ in 0..=max_entries {
        if bytes.get(at..at.checked_add(4)?)? != CENTRAL_HEADER_SIGNATURE {
            return None;
        }
        let name_len = usize::from(u16_at(bytes, at + 28)?);
        let extra_len = usize::from(u16_at(bytes, at + 30)?);
        let comment_len = usize::from(u16_at(bytes, at + 32)?);
        let name = bytes.get(at + 46..at + 46 + name_len)?;
        if !seen.insert(name) {
            return Some(shown_name(name));
        }
        at = at + 46 + name_len + extra_len + comment_len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let entries: Vec<(String, Vec<u8>)> =
            (0..6).map(|i| (format!("f{i}"), vec![b'x'])).collect();
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
}
