//! The zip end-of-central-directory records, read before the zip crate walks the archive.

pub(super) fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
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
pub(super) fn signatures(bytes: &[u8], start: usize, end: usize, signature: [u8; 4]) -> Vec<usize> {
    bytes
        .get(start..end.min(bytes.len()))
        .unwrap_or_default()
        .windows(4)
        .enumerate()
        .filter(|(_, window)| *window == signature)
        .map(|(offset, _)| start + offset)
        .collect()
}

pub(super) const EOCD_SIGNATURE: [u8; 4] = *b"PK\x05\x06";
pub(super) const EOCD64_SIGNATURE: [u8; 4] = *b"PK\x06\x06";
const EOCD64_LOCATOR_SIGNATURE: [u8; 4] = *b"PK\x06\x07";
pub(super) const CENTRAL_HEADER_SIGNATURE: [u8; 4] = *b"PK\x01\x02";
const EOCD_LEN: usize = 22;
const EOCD64_LOCATOR_LEN: usize = 20;

/// The highest entry count declared by any end-of-central-directory record a zip reader could
/// pick: every candidate in the last 64 KiB (the longest archive comment) and, for ZIP64
/// candidates, every ZIP64 record between where the locator points and the locator. Upper bound
/// only: a count that a reader would not use may make this larger, never smaller.
pub(super) fn declared_entry_count(bytes: &[u8]) -> u64 {
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
