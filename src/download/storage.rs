//! Where the bytes of a `.part` go. The manager writes through this trait so tests can inject
//! local failures (a full disk) that a test machine cannot produce on demand.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// An open `.part` file being appended to.
pub trait PartFile: Send {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
    /// Flushes buffers and makes the data durable (fsync).
    fn sync(&mut self) -> io::Result<()>;
}

/// Opens `.part` files. [`FsStorage`] is the real one.
pub trait Storage: Send + Sync + 'static {
    /// Opens `path` for appending, creating it if needed; `truncate` empties it first.
    fn open_part(&self, path: &Path, truncate: bool) -> io::Result<Box<dyn PartFile>>;
}

/// Plain files, written through a 256 KiB buffer.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsStorage;

struct FsPart(BufWriter<File>);

impl PartFile for FsPart {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.0.flush()?;
        self.0.get_ref().sync_all()
    }
}

impl Storage for FsStorage {
    fn open_part(&self, path: &Path, truncate: bool) -> io::Result<Box<dyn PartFile>> {
        let mut options = OpenOptions::new();
        options.create(true);
        if truncate {
            options.write(true).truncate(true);
        } else {
            options.append(true);
        }
        let file = options.open(path)?;
        Ok(Box::new(FsPart(BufWriter::with_capacity(256 * 1024, file))))
    }
}
