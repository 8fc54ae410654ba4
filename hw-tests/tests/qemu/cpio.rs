//! A `newc` cpio archive, the format of a Linux initramfs.

use std::collections::BTreeSet;
use std::path::Path;

/// Builds an archive in memory.
#[derive(Default)]
pub(crate) struct Writer {
    out: Vec<u8>,
    dirs: BTreeSet<String>,
    inode: u32,
}

impl Writer {
    fn entry(&mut self, name: &str, mode: u32, data: &[u8]) {
        self.inode += 1;
        let header = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            self.inode,
            mode,
            0,
            0,
            1,
            0,
            data.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        );
        self.out.extend_from_slice(header.as_bytes());
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(0);
        self.pad();
        self.out.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while self.out.len() % 4 != 0 {
            self.out.push(0);
        }
    }

    /// A directory (`bin`, no leading slash).
    pub(crate) fn dir(&mut self, name: &str) {
        if self.dirs.insert(name.to_owned()) {
            self.entry(name, 0o040_755, &[]);
        }
    }

    /// A regular file.
    pub(crate) fn file(&mut self, name: &str, data: &[u8], mode: u32) {
        self.entry(name, 0o100_000 | mode, data);
    }

    /// A file at an absolute path of the guest, with its directories.
    pub(crate) fn file_with_parents(&mut self, path: &Path, data: &[u8], mode: u32) {
        let name = path.to_str().unwrap().trim_start_matches('/').to_owned();
        let mut prefix = String::new();
        let parts: Vec<&str> = name.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            self.dir(&prefix.clone());
        }
        self.file(&name, data, mode);
    }

    /// The archive with its trailer.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        self.out
    }
}
