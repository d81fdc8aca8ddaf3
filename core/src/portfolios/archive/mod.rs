//! Safe reading and writing of zip archives (portfolio export and import: a `portfolio.json`
//! plus `media/<file>` entries).
//!
//! Reading is defensive: an uploaded archive is untrusted input. [`read_zip`] checks the size of
//! the archive before parsing it, the number of entries before the central directory is walked,
//! every entry name and type, and the declared sizes before anything is decompressed. Then it
//! enforces the limits again on the bytes actually decompressed, so an entry that lies about its
//! size is stopped at the limit instead of filling memory.

mod central;
mod export;
mod import;
mod limits;
#[cfg(test)]
mod tests;

pub use export::write_zip;
pub use import::{read_zip, safe_entry_name};
pub use limits::{Archive, ArchiveError, ArchiveLimits};
