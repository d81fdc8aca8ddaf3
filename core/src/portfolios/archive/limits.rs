//! Archive limits, errors and the archive read into memory.

use std::collections::BTreeMap;
use std::fmt;

const MIB: u64 = 1024 * 1024;

/// Entries that decompress to at most this many bytes are never refused for their ratio.
pub(super) const RATIO_FREE_BYTES: u64 = MIB;

/// The longest entry name accepted, in bytes.
pub(super) const MAX_NAME_BYTES: usize = 200;

/// How much of an offending name is echoed back in an error message.
pub(super) const MAX_NAME_IN_MESSAGE: usize = 100;

pub(super) const S_IFMT: u32 = 0o170_000;
pub(super) const S_IFREG: u32 = 0o100_000;
pub(super) const S_IFDIR: u32 = 0o040_000;
pub(super) const S_IFLNK: u32 = 0o120_000;

/// Limits applied by [`read_zip`](super::read_zip).
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
