//! Reading an uploaded archive, defensively (portfolio import).

use std::collections::BTreeSet;
use std::io::{Cursor, Read};

use zip::{CompressionMethod, ZipArchive, ZipReadOptions};

use super::central::{declared_entry_count, u16_at, CENTRAL_HEADER_SIGNATURE};
use super::limits::{
    Archive, ArchiveError, ArchiveLimits, MAX_NAME_BYTES, MAX_NAME_IN_MESSAGE, RATIO_FREE_BYTES,
    S_IFDIR, S_IFLNK, S_IFMT, S_IFREG,
};

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

pub(super) fn malformed(error: &zip::result::ZipError) -> ArchiveError {
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
pub(super) fn read_capped<R: Read>(
    reader: R,
    cap: u64,
    size_hint: u64,
) -> std::io::Result<Option<Vec<u8>>> {
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
pub(super) fn shown_name(raw: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(raw);
    let mut short: String = lossy.chars().take(MAX_NAME_IN_MESSAGE).collect();
    if lossy.chars().count() > MAX_NAME_IN_MESSAGE {
        short.push('…');
    }
    format!("\"{}\"", short.escape_debug())
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
