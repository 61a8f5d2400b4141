//! Local MP3 files through a frame index: one fast scan of the frame headers at open gives the
//! byte offset of every MPEG audio frame, so the exact length is known (VBR without a Xing
//! header included) and a seek jumps straight to the frame holding the target, plus the few
//! frames before it whose bytes the target frame's bit reservoir uses.
//!
//! [`Mp3Reader`] is a symphonia [`FormatReader`]: the packets it hands out are the same as
//! symphonia's own MP3 reader (same timestamps, same gapless trimming), only its seeks differ.
//! symphonia's accurate seek re-reads from the start of the file on every backward seek, and its
//! coarse seek guesses a byte offset from the bitrate (wrong for VBR).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use symphonia::core::codecs::{CodecParameters, CODEC_TYPE_MP3};
use symphonia::core::errors::{Error as SymError, Result as SymResult, SeekErrorKind};
use symphonia::core::formats::{
    Cue, FormatOptions, FormatReader, Packet, SeekMode, SeekTo, SeekedTo, Track,
};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::{Metadata, MetadataLog};
use symphonia::core::units::TimeBase;

/// Bytes read from the file at a time (scan and packets).
const BLOCK: usize = 1 << 20;

const MPEG1_L3_KBPS: [u32; 15] = [
    0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
const MPEG2_L3_KBPS: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/// What a Layer III frame header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub mpeg1: bool,
    /// 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5.
    pub version: u8,
    pub sample_rate: u32,
    pub channels: u8,
    /// The whole frame, header included.
    pub len: usize,
    /// Audio frames (samples per channel) the frame decodes to.
    pub samples: u32,
    pub crc: bool,
}

impl Header {
    /// Side information length (bytes after the header and CRC).
    pub fn side_info_len(&self) -> usize {
        match (self.mpeg1, self.channels) {
            (true, 1) => 17,
            (true, _) => 32,
            (false, 1) => 9,
            (false, _) => 17,
        }
    }

    /// Bytes of main data (the bit reservoir's food) this frame carries.
    fn main_data_len(&self) -> usize {
        self.len
            .saturating_sub(4 + 2 * self.crc as usize + self.side_info_len())
    }

    /// The most bytes of earlier frames a frame's main data may start in.
    fn max_reservoir(&self) -> usize {
        if self.mpeg1 {
            511
        } else {
            255
        }
    }

    /// Same stream: version, sample rate and channel count agree.
    fn similar(&self, other: &Header) -> bool {
        self.version == other.version
            && self.sample_rate == other.sample_rate
            && self.channels == other.channels
    }
}

/// Parses an MPEG audio Layer III frame header; `None` for anything else (free format too).
pub fn parse_header(w: u32) -> Option<Header> {
    if w & 0xffe0_0000 != 0xffe0_0000 {
        return None;
    }
    let version = ((w >> 19) & 3) as u8;
    let layer = (w >> 17) & 3;
    let br = ((w >> 12) & 0xf) as usize;
    let sr = ((w >> 10) & 3) as usize;
    if version == 1 || layer != 1 || br == 0 || br == 15 || sr == 3 {
        return None;
    }
    let mpeg1 = version == 3;
    let kbps = if mpeg1 {
        MPEG1_L3_KBPS[br]
    } else {
        MPEG2_L3_KBPS[br]
    };
    let sample_rate = match version {
        3 => [44_100, 48_000, 32_000][sr],
        2 => [22_050, 24_000, 16_000][sr],
        _ => [11_025, 12_000, 8_000][sr],
    };
    let padding = (w >> 9) & 1;
    let factor = if mpeg1 { 144 } else { 72 };
    Some(Header {
        mpeg1,
        version,
        sample_rate,
        channels: if (w >> 6) & 3 == 3 { 1 } else { 2 },
        len: (factor * kbps * 1000 / sample_rate + padding) as usize,
        samples: if mpeg1 { 1152 } else { 576 },
        crc: (w >> 16) & 1 == 0,
    })
}

/// A window over a file: reads in big blocks, serves byte ranges from memory.
struct Window {
    file: File,
    len: u64,
    buf: Vec<u8>,
    at: u64,
}

impl Window {
    fn new(file: File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(Self {
            file,
            len,
            buf: Vec::new(),
            at: 0,
        })
    }

    /// `n` bytes at `pos`, or `None` past the end of the file.
    fn bytes(&mut self, pos: u64, n: usize) -> io::Result<Option<&[u8]>> {
        if pos + n as u64 > self.len {
            return Ok(None);
        }
        let inside = pos >= self.at && pos + n as u64 <= self.at + self.buf.len() as u64;
        if !inside {
            let want = (BLOCK.max(n) as u64).min(self.len - pos) as usize;
            self.buf.resize(want, 0);
            self.file.seek(SeekFrom::Start(pos))?;
            let mut filled = 0;
            while filled < want {
                match self.file.read(&mut self.buf[filled..])? {
                    0 => break,
                    k => filled += k,
                }
            }
            self.buf.truncate(filled);
            self.at = pos;
            if filled < n {
                return Ok(None);
            }
        }
        let off = (pos - self.at) as usize;
        Ok(Some(&self.buf[off..off + n]))
    }

    fn word(&mut self, pos: u64) -> io::Result<Option<u32>> {
        Ok(self
            .bytes(pos, 4)?
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
    }
}

/// One audio frame in the file (16 bytes: a 10-hour file's index is ~22 MB).
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub pos: u64,
    /// The whole frame, header included.
    pub len: u16,
}

/// The frames of an MP3 file, found by walking its frame headers.
pub struct FrameIndex {
    pub frames: Vec<Frame>,
    /// The first audio frame's header (every frame agrees on version, rate and channels).
    pub first: Option<Header>,
    /// The first frame when it is a Xing/Info/VBRI tag rather than audio.
    pub tag_frame: Option<Frame>,
}

/// Skips ID3v2 tags at `pos`; returns where the audio may start.
fn skip_id3v2(win: &mut Window, mut pos: u64) -> io::Result<u64> {
    while let Some(b) = win.bytes(pos, 10)? {
        if &b[..3] != b"ID3" {
            break;
        }
        let size = b[6..10]
            .iter()
            .fold(0u64, |a, &x| (a << 7) | (x & 0x7f) as u64);
        let footer = if b[5] & 0x10 != 0 { 10 } else { 0 };
        pos += 10 + size + footer;
    }
    Ok(pos)
}

/// True if the frame at `f` carries a Xing/Info or VBRI tag instead of audio (the same test as
/// symphonia's reader, which drops such frames).
fn is_tag_frame(win: &mut Window, pos: u64, header: &Header) -> io::Result<bool> {
    let Some(b) = win.bytes(pos, header.len)? else {
        return Ok(false);
    };
    let off = 4 + header.side_info_len();
    if b.len() >= off + 8 && (&b[off..off + 4] == b"Xing" || &b[off..off + 4] == b"Info") {
        return Ok(true);
    }
    Ok(b.len() >= 36 + 26 && &b[36..40] == b"VBRI" && b[4..36].iter().all(|&x| x == 0))
}

impl FrameIndex {
    /// Walks every frame header of the file. Junk between frames (a damaged stretch, a tag) is
    /// skipped: after a bad header the next frame is only believed if the one after it follows.
    fn scan(win: &mut Window) -> io::Result<Self> {
        let len = win.len;
        let mut p = skip_id3v2(win, 0)?;
        let mut frames: Vec<Frame> = Vec::with_capacity((len / 300) as usize);
        let mut tag_frame = None;
        let mut reference: Option<Header> = None;
        let mut first: Option<Header> = None;
        let mut strict = true;
        while let Some(w) = win.word(p)? {
            let found = parse_header(w)
                .filter(|h| reference.is_none_or(|r| r.similar(h)) && p + h.len as u64 <= len);
            let accepted = match found {
                Some(h) if strict => {
                    let next = p + h.len as u64;
                    match win.word(next)? {
                        Some(nw) => parse_header(nw).is_some_and(|n| n.similar(&h)),
                        None => true, // the file ends (or nearly) right after this frame
                    }
                    .then_some(h)
                }
                other => other,
            };
            let Some(header) = accepted else {
                if w >> 8 == u32::from_be_bytes([0, b'I', b'D', b'3']) {
                    let after = skip_id3v2(win, p)?;
                    if after > p {
                        p = after;
                        strict = true;
                        continue;
                    }
                }
                strict = true;
                p += 1;
                continue;
            };
            let frame = Frame {
                pos: p,
                len: header.len as u16,
            };
            p += header.len as u64;
            strict = false;
            if is_tag_frame(win, frame.pos, &header)? {
                if frames.is_empty() && tag_frame.is_none() {
                    tag_frame = Some(frame);
                }
                reference.get_or_insert(header);
                continue;
            }
            reference.get_or_insert(header);
            first.get_or_insert(header);
            frames.push(frame);
        }
        Ok(Self {
            frames,
            first,
            tag_frame,
        })
    }
}

/// A symphonia format reader over a local MP3 file with a frame index (see the module docs).
pub struct Mp3Reader {
    win: Window,
    index: FrameIndex,
    tracks: Vec<Track>,
    cues: Vec<Cue>,
    metadata: MetadataLog,
    /// The next frame `next_packet` returns.
    next: usize,
    /// Encoder delay (gapless): frames of the timeline before audio frame 0.
    delay: u64,
    /// Audio frames after gapless trimming.
    n_frames: u64,
    samples_per_frame: u64,
    /// Index of the first frame a seek decoded (for tests and the benchmark).
    pub last_seek_frame: Option<usize>,
}

impl Mp3Reader {
    /// Opens `path` and scans its frames. `probed` are the codec parameters symphonia's own
    /// reader found (its Xing/LAME parsing gives the encoder delay and padding).
    pub fn open(path: &Path, probed: &CodecParameters) -> io::Result<Self> {
        let mut win = Window::new(File::open(path)?)?;
        let index = FrameIndex::scan(&mut win)?;
        let first = index
            .first
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no MPEG audio frames"))?;
        let spf = first.samples as u64;
        let delay = probed.delay.unwrap_or(0) as u64;
        let padding = probed.padding.unwrap_or(0) as u64;
        // The scan's count, not the Xing header's: a file cut short or with audio appended
        // (dynamic ad insertion joins files) has a header that no longer tells the truth.
        let n_frames = (index.frames.len() as u64 * spf).saturating_sub(delay + padding);
        let mut params = CodecParameters::new();
        params
            .for_codec(CODEC_TYPE_MP3)
            .with_sample_rate(first.sample_rate)
            .with_time_base(TimeBase::new(1, first.sample_rate))
            .with_n_frames(n_frames)
            .with_max_frames_per_packet(spf);
        if let Some(ch) = probed.channels {
            params.with_channels(ch);
        }
        if delay > 0 || padding > 0 {
            params.with_delay(delay as u32).with_padding(padding as u32);
        }
        // The window now holds the file's end; the first packet read refills it at the start.
        Ok(Self {
            win,
            index,
            tracks: vec![Track::new(0, params)],
            cues: Vec::new(),
            metadata: MetadataLog::default(),
            next: 0,
            delay,
            n_frames,
            samples_per_frame: spf,
            last_seek_frame: None,
        })
    }

    pub fn frame_count(&self) -> usize {
        self.index.frames.len()
    }

    pub fn has_tag_frame(&self) -> bool {
        self.index.tag_frame.is_some()
    }

    /// The first frame to decode so that frame `i` comes out exactly as in a continuous decode:
    /// frames `i - 2` and `i - 1` must decode right too (the synthesis filter bank and IMDCT
    /// overlap remember about two granules), and their main data can begin up to a reservoir's
    /// worth of bytes earlier; one more frame for good measure.
    fn preroll_start(&self, i: usize) -> usize {
        let frames = &self.index.frames;
        let Some(first) = self.index.first else {
            return i;
        };
        let mut s = i.saturating_sub(2);
        let mut need = first.max_reservoir();
        while s > 0 && need > 0 {
            s -= 1;
            let len = Header {
                len: frames[s].len as usize,
                ..first
            };
            need = need.saturating_sub(len.main_data_len());
        }
        s.saturating_sub(1)
    }
}

impl FormatReader for Mp3Reader {
    fn try_new(_source: MediaSourceStream, _options: &FormatOptions) -> SymResult<Self> {
        Err(SymError::Unsupported(
            "Mp3Reader opens files by path (Mp3Reader::open)",
        ))
    }

    fn cues(&self) -> &[Cue] {
        &self.cues
    }

    fn metadata(&mut self) -> Metadata<'_> {
        self.metadata.metadata()
    }

    fn seek(&mut self, _mode: SeekMode, to: SeekTo) -> SymResult<SeekedTo> {
        let rate = self.tracks[0].codec_params.sample_rate.unwrap_or(44_100);
        let desired = match to {
            SeekTo::TimeStamp { ts, .. } => ts,
            SeekTo::Time { time, .. } => TimeBase::new(1, rate).calc_timestamp(time),
        };
        let count = self.index.frames.len();
        if count == 0 {
            return Err(SymError::SeekError(SeekErrorKind::OutOfRange));
        }
        let frame = ((desired + self.delay) / self.samples_per_frame) as usize;
        if frame >= count {
            // Past the end: nothing left to play.
            self.next = count;
            self.last_seek_frame = None;
            return Ok(SeekedTo {
                track_id: 0,
                required_ts: desired,
                actual_ts: self.n_frames,
            });
        }
        let start = self.preroll_start(frame);
        self.next = start;
        self.last_seek_frame = Some(start);
        Ok(SeekedTo {
            track_id: 0,
            required_ts: desired,
            actual_ts: (start as u64 * self.samples_per_frame).saturating_sub(self.delay),
        })
    }

    fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    fn next_packet(&mut self) -> SymResult<Packet> {
        let Some(&Frame { pos, len }) = self.index.frames.get(self.next) else {
            return Err(SymError::IoError(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "end of stream",
            )));
        };
        let ts = self.next as u64 * self.samples_per_frame;
        self.next += 1;
        let data = self.win.bytes(pos, len as usize)?.ok_or_else(|| {
            SymError::IoError(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file got shorter",
            ))
        })?;
        let mut packet = Packet::new_from_slice(0, ts, self.samples_per_frame, data);
        symphonia::core::formats::util::trim_packet(
            &mut packet,
            self.delay as u32,
            Some(self.n_frames),
        );
        Ok(packet)
    }

    fn into_inner(self: Box<Self>) -> MediaSourceStream {
        MediaSourceStream::new(Box::new(self.win.file), Default::default())
    }
}
