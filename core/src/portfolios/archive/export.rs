//! Writing an archive (portfolio export).

use std::collections::BTreeSet;
use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::import::{malformed, safe_entry_name, shown_name};
use super::limits::ArchiveError;

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
