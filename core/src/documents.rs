//! Sniffing of uploaded non-image files by their magic bytes. The content type a client sends is
//! never trusted: a file is accepted only as one of the kinds recognised here, with this kind's
//! media type and extension.

/// What an uploaded file was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentKind {
    pub media_type: &'static str,
    /// Without the dot.
    pub extension: &'static str,
    /// The ActivityStreams object type: `"Document"`, `"Audio"` or `"Video"`.
    pub ap_type: &'static str,
}

const PDF: DocumentKind = DocumentKind {
    media_type: "application/pdf",
    extension: "pdf",
    ap_type: "Document",
};
const MP3: DocumentKind = DocumentKind {
    media_type: "audio/mpeg",
    extension: "mp3",
    ap_type: "Audio",
};
const OGG: DocumentKind = DocumentKind {
    media_type: "audio/ogg",
    extension: "ogg",
    ap_type: "Audio",
};
const FLAC: DocumentKind = DocumentKind {
    media_type: "audio/flac",
    extension: "flac",
    ap_type: "Audio",
};
const WAV: DocumentKind = DocumentKind {
    media_type: "audio/wav",
    extension: "wav",
    ap_type: "Audio",
};
const M4A: DocumentKind = DocumentKind {
    media_type: "audio/mp4",
    extension: "m4a",
    ap_type: "Audio",
};
const MP4: DocumentKind = DocumentKind {
    media_type: "video/mp4",
    extension: "mp4",
    ap_type: "Video",
};
const MOV: DocumentKind = DocumentKind {
    media_type: "video/quicktime",
    extension: "mov",
    ap_type: "Video",
};
const WEBM: DocumentKind = DocumentKind {
    media_type: "video/webm",
    extension: "webm",
    ap_type: "Video",
};

/// Major brands of ISO base media files that are still images (HEIF, AVIF), not video.
const IMAGE_BRANDS: [&[u8; 4]; 8] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1", b"avif",
];

/// Recognises a PDF, MP3, Ogg, FLAC, WAV, MP4/M4A/MOV or WebM/Matroska file by its first bytes.
/// Anything else (HTML, SVG, text, executables, archives, images…) gives `None`.
pub fn sniff(bytes: &[u8]) -> Option<DocumentKind> {
    if bytes.starts_with(b"%PDF-") {
        return Some(PDF);
    }
    if bytes.starts_with(b"ID3") {
        return Some(MP3);
    }
    if let [0xFF, 0xFB | 0xF3 | 0xF2, ..] = bytes {
        return Some(MP3);
    }
    if bytes.starts_with(b"OggS") {
        return Some(OGG);
    }
    if bytes.starts_with(b"fLaC") {
        return Some(FLAC);
    }
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        return Some(WAV);
    }
    if bytes.get(4..8) == Some(b"ftyp") {
        let brand = bytes.get(8..12)?;
        return match brand {
            b"M4A " => Some(M4A),
            b"qt  " => Some(MOV),
            _ if IMAGE_BRANDS.iter().any(|image| brand == &image[..]) => None,
            _ => Some(MP4),
        };
    }
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(WEBM);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(bytes: &[u8]) -> Option<(&'static str, &'static str, &'static str)> {
        sniff(bytes).map(|k| (k.media_type, k.extension, k.ap_type))
    }

    fn ftyp(brand: &[u8; 4]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 0, 0x18];
        bytes.extend_from_slice(b"ftyp");
        bytes.extend_from_slice(brand);
        bytes.extend_from_slice(&[0, 0, 2, 0]);
        bytes.extend_from_slice(b"isomiso2");
        bytes
    }

    #[test]
    fn pdf() {
        assert_eq!(
            kind(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj"),
            Some(("application/pdf", "pdf", "Document"))
        );
        assert_eq!(kind(b"%PDF"), None);
    }

    #[test]
    fn mp3_with_id3_tag() {
        assert_eq!(
            kind(b"ID3\x04\x00\x00\x00\x00\x00\x00"),
            Some(("audio/mpeg", "mp3", "Audio"))
        );
    }

    #[test]
    fn mp3_frame_sync() {
        for second in [0xFB, 0xF3, 0xF2] {
            assert_eq!(
                kind(&[0xFF, second, 0x90, 0x64]),
                Some(("audio/mpeg", "mp3", "Audio")),
                "{second:#x}"
            );
        }
        // Other sync patterns (e.g. AAC ADTS) and a lone 0xFF are not MP3.
        assert_eq!(kind(&[0xFF, 0xF1, 0x50, 0x80]), None);
        assert_eq!(kind(&[0xFF]), None);
        // JPEG starts with 0xFF too.
        assert_eq!(kind(&[0xFF, 0xD8, 0xFF, 0xE0]), None);
    }

    #[test]
    fn ogg() {
        assert_eq!(
            kind(b"OggS\x00\x02\x00\x00"),
            Some(("audio/ogg", "ogg", "Audio"))
        );
    }

    #[test]
    fn flac() {
        assert_eq!(
            kind(b"fLaC\x00\x00\x00\x22"),
            Some(("audio/flac", "flac", "Audio"))
        );
    }

    #[test]
    fn wav() {
        assert_eq!(
            kind(b"RIFF\x24\x08\x00\x00WAVEfmt "),
            Some(("audio/wav", "wav", "Audio"))
        );
        // Other RIFF formats (WebP, AVI) are not WAV.
        assert_eq!(kind(b"RIFF\x24\x08\x00\x00WEBPVP8 "), None);
        assert_eq!(kind(b"RIFF\x24\x08\x00\x00AVI LIST"), None);
        assert_eq!(kind(b"RIFF\x24\x08\x00\x00WAV"), None);
    }

    #[test]
    fn mp4_family() {
        assert_eq!(kind(&ftyp(b"M4A ")), Some(("audio/mp4", "m4a", "Audio")));
        assert_eq!(kind(&ftyp(b"isom")), Some(("video/mp4", "mp4", "Video")));
        assert_eq!(kind(&ftyp(b"mp42")), Some(("video/mp4", "mp4", "Video")));
        assert_eq!(
            kind(&ftyp(b"qt  ")),
            Some(("video/quicktime", "mov", "Video"))
        );
        // Exactly the box header and brand is enough; less is not.
        assert_eq!(
            kind(&ftyp(b"isom")[..12]),
            Some(("video/mp4", "mp4", "Video"))
        );
        assert_eq!(kind(&ftyp(b"isom")[..11]), None);
    }

    #[test]
    fn heif_and_avif_images_are_not_video() {
        for brand in [b"heic", b"mif1", b"avif"] {
            assert_eq!(kind(&ftyp(brand)), None);
        }
    }

    #[test]
    fn webm() {
        assert_eq!(
            kind(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81]),
            Some(("video/webm", "webm", "Video"))
        );
    }

    #[test]
    fn html_svg_and_text_are_refused() {
        for bytes in [
            &b"<!DOCTYPE html><html><body>hi</body></html>"[..],
            b"<html><script>alert(1)</script>",
            b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            b"<svg onload=\"alert(1)\"></svg>",
            b"just some text",
            b"\xEF\xBB\xBF%PDF-1.4",
            b" %PDF-1.4",
        ] {
            assert_eq!(sniff(bytes), None, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn executables_archives_and_images_are_refused() {
        for bytes in [
            &b"MZ\x90\x00\x03\x00\x00\x00"[..],
            b"\x7FELF\x02\x01\x01\x00",
            b"#!/bin/sh\nrm -rf /",
            b"PK\x03\x04\x14\x00\x00\x00",
            b"\x89PNG\r\n\x1A\n",
            b"GIF89a\x01\x00",
        ] {
            assert_eq!(sniff(bytes), None, "{bytes:?}");
        }
    }

    #[test]
    fn empty_and_short_input() {
        for bytes in [
            &b""[..],
            b"%",
            b"I",
            b"ID",
            b"Ogg",
            b"fLa",
            b"RIFF",
            b"\x1A\x45\xDF",
        ] {
            assert_eq!(sniff(bytes), None, "{bytes:?}");
        }
    }
}
