//! The mail store behind `correo serve`: users and Maildirs on disk.
//!
//! User NAME's mailboxes live under `ROOT/NAME`: INBOX is the Maildir `ROOT/NAME` itself
//! (`cur/ new/ tmp/`), and a folder `a/b` is the Maildir++ folder `ROOT/NAME/.a.b` (a dot
//! inside a name is written `&AC4-`, as in modified UTF-7). File names and flags follow
//! `correo_mime::maildir`. UIDs are kept stable across sessions in a `correo-uidlist` file in
//! each mailbox (`V<uidvalidity> N<uidnext>` then one `UID UNIQUE` line per message), so POP3
//! UIDL and IMAP UIDs survive restarts. One process-wide lock serialises changes.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use correo_mime::maildir::{Flags, MaildirName, UniqueName};

const UIDLIST: &str = "correo-uidlist";

/// `name:password` pairs, from a users file or the demo default.
#[derive(Debug, Clone, Default)]
pub(crate) struct Users {
    map: HashMap<String, String>,
}

impl Users {
    /// Parses a users file: one `name:password` a line; blank lines and `#` comments skipped.
    pub(crate) fn parse(text: &str) -> io::Result<Users> {
        let mut map = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let Some((name, pass)) = line.split_once(':') else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("users file line {}: expected name:password", n + 1),
                ));
            };
            let name = name.trim();
            if !valid_user_name(name) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("users file line {}: bad user name {name:?}", n + 1),
                ));
            }
            map.insert(name.to_owned(), pass.to_owned());
        }
        Ok(Users { map })
    }

    /// A single user.
    pub(crate) fn single(name: &str, password: &str) -> Users {
        let mut map = HashMap::new();
        map.insert(name.to_owned(), password.to_owned());
        Users { map }
    }

    /// The password of `name`, if the user exists.
    pub(crate) fn password(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// Whether the credentials are right.
    pub(crate) fn check(&self, name: &str, password: &str) -> bool {
        self.password(name).is_some_and(|p| p == password)
    }

    /// All user names, sorted.
    pub(crate) fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.map.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// The user a recipient address delivers to: the local part, when it names a user
    /// (`NAME@any-domain`, case-insensitively for the local part's ASCII letters).
    pub(crate) fn for_address(&self, address: &str) -> Option<&str> {
        let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
        let local = local.trim_matches('"');
        self.map
            .keys()
            .find(|k| k.eq_ignore_ascii_case(local))
            .map(String::as_str)
    }
}

fn valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
}

/// One message in a mailbox, as scanned.
#[derive(Debug, Clone)]
pub(crate) struct StoredMessage {
    /// The stable UID.
    pub(crate) uid: u32,
    /// The unique part of the file name (the POP3 UIDL).
    pub(crate) unique: String,
    /// Where the file is now.
    pub(crate) path: PathBuf,
    /// File size in bytes.
    pub(crate) size: u64,
    /// Flags from the file name.
    pub(crate) flags: Flags,
    /// Delivery time, seconds since the epoch (from the name, else the file's mtime).
    pub(crate) internal_date: u64,
}

/// A scanned mailbox.
#[derive(Debug, Clone)]
pub(crate) struct MailboxState {
    /// UIDVALIDITY.
    pub(crate) uid_validity: u32,
    /// The next UID to be assigned.
    pub(crate) uid_next: u32,
    /// Messages in UID order.
    pub(crate) messages: Vec<StoredMessage>,
}

/// The Maildir store.
#[derive(Debug)]
pub(crate) struct Store {
    root: PathBuf,
    host: String,
    counter: AtomicU64,
    lock: Mutex<()>,
    /// Bumped on every delivery; IMAP IDLE waits on it.
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Store {
    /// A store rooted at `root` (created if missing).
    pub(crate) fn new(root: &Path, host: &str) -> io::Result<Store> {
        fs::create_dir_all(root)?;
        Ok(Store {
            root: root.to_path_buf(),
            host: host.to_owned(),
            counter: AtomicU64::new(0),
            lock: Mutex::new(()),
            generation: Mutex::new(0),
            changed: Condvar::new(),
        })
    }

    /// The root directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn guard(&self) -> MutexGuard<'_, ()> {
        self.lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The Maildir of `user`'s mailbox `name` (INBOX case-insensitive).
    pub(crate) fn mailbox_dir(&self, user: &str, name: &str) -> io::Result<PathBuf> {
        if !valid_user_name(user) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad user name"));
        }
        let base = self.root.join(user);
        if name.eq_ignore_ascii_case("INBOX") {
            return Ok(base);
        }
        let mut folder = String::new();
        for part in name.split('/') {
            if part.is_empty() || part == ".." || part.contains(['\0', '\\']) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("bad mailbox name {name:?}"),
                ));
            }
            folder.push('.');
            folder.push_str(&part.replace('.', "&AC4-"));
        }
        Ok(base.join(folder))
    }

    /// Makes sure `user`'s INBOX exists.
    pub(crate) fn ensure_user(&self, user: &str) -> io::Result<()> {
        let dir = self.mailbox_dir(user, "INBOX")?;
        make_maildir(&dir)
    }

    /// Creates a mailbox (and its parents, as IMAP CREATE does). Fails if it exists.
    pub(crate) fn create_mailbox(&self, user: &str, name: &str) -> io::Result<()> {
        let _g = self.guard();
        let dir = self.mailbox_dir(user, name)?;
        if dir.join("cur").is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "mailbox exists",
            ));
        }
        let mut prefix = String::new();
        for part in name.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            make_maildir(&self.mailbox_dir(user, &prefix)?)?;
        }
        Ok(())
    }

    /// Whether a mailbox exists.
    pub(crate) fn mailbox_exists(&self, user: &str, name: &str) -> bool {
        self.mailbox_dir(user, name)
            .is_ok_and(|d| d.join("cur").is_dir())
    }

    /// Deletes a mailbox (not INBOX) with its messages.
    pub(crate) fn delete_mailbox(&self, user: &str, name: &str) -> io::Result<()> {
        if name.eq_ignore_ascii_case("INBOX") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot delete INBOX",
            ));
        }
        let _g = self.guard();
        fs::remove_dir_all(self.mailbox_dir(user, name)?)
    }

    /// `user`'s mailbox names: INBOX first, then folders sorted, with `/` as delimiter.
    pub(crate) fn mailboxes(&self, user: &str) -> io::Result<Vec<String>> {
        let base = self.mailbox_dir(user, "INBOX")?;
        let mut out = Vec::new();
        if base.join("cur").is_dir() {
            out.push("INBOX".to_owned());
        }
        let mut folders = Vec::new();
        if let Ok(rd) = fs::read_dir(&base) {
            for entry in rd.flatten() {
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                let Some(rest) = name.strip_prefix('.') else {
                    continue;
                };
                if rest.is_empty() || !entry.path().join("cur").is_dir() {
                    continue;
                }
                let parts: Vec<String> = rest.split('.').map(|p| p.replace("&AC4-", ".")).collect();
                folders.push(parts.join("/"));
            }
        }
        folders.sort();
        out.extend(folders);
        Ok(out)
    }

    fn unique_name(&self, size: u64) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        UniqueName {
            secs: now.as_secs(),
            usec: now.subsec_micros(),
            pid: std::process::id(),
            counter: self.counter.fetch_add(1, Ordering::Relaxed),
            host: &self.host,
        }
        .build(Some(size), None)
    }

    /// Delivers a message into `user`'s `mailbox` (tmp/ then rename into new/, or into cur/
    /// with `flags` when some are given). Returns the UID it got.
    pub(crate) fn deliver(
        &self,
        user: &str,
        mailbox: &str,
        bytes: &[u8],
        flags: Flags,
    ) -> io::Result<u32> {
        let dir = self.mailbox_dir(user, mailbox)?;
        make_maildir(&dir)?;
        let name = self.unique_name(bytes.len() as u64);
        let tmp = dir.join("tmp").join(&name);
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        let target = if flags.is_empty() {
            dir.join("new").join(&name)
        } else {
            dir.join("cur")
                .join(correo_mime::maildir::with_flags(&name, flags))
        };
        let uid = {
            let _g = self.guard();
            fs::rename(&tmp, &target)?;
            let state = Self::scan_locked(&dir)?;
            state
                .messages
                .iter()
                .find(|m| m.unique == name)
                .map_or(state.uid_next.saturating_sub(1), |m| m.uid)
        };
        self.bump();
        Ok(uid)
    }

    fn bump(&self) {
        let mut g = self
            .generation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *g += 1;
        self.changed.notify_all();
    }

    /// The change counter (bumped by every delivery).
    pub(crate) fn generation(&self) -> u64 {
        *self
            .generation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Scans a mailbox: messages in UID order, UIDs assigned to new files and persisted.
    pub(crate) fn scan(&self, user: &str, mailbox: &str) -> io::Result<MailboxState> {
        let dir = self.mailbox_dir(user, mailbox)?;
        if !dir.join("cur").is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no mailbox {mailbox:?}"),
            ));
        }
        let _g = self.guard();
        Self::scan_locked(&dir)
    }

    fn scan_locked(dir: &Path) -> io::Result<MailboxState> {
        let list_path = dir.join(UIDLIST);
        let (mut validity, mut next, mut known) = read_uidlist(&list_path);
        if validity == 0 {
            validity = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_secs() as u32)
                .max(1);
            next = 1;
        }
        let mut found: Vec<(String, PathBuf, u64, Flags, u64)> = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(rd) = fs::read_dir(dir.join(sub)) else {
                continue;
            };
            for entry in rd.flatten() {
                let fname = entry.file_name();
                let Some(fname) = fname.to_str() else {
                    continue;
                };
                let Ok(parsed) = MaildirName::parse(fname) else {
                    continue;
                };
                let meta = entry.metadata()?;
                if !meta.is_file() {
                    continue;
                }
                let date = parsed.secs.unwrap_or_else(|| {
                    meta.modified()
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_secs())
                });
                found.push((
                    parsed.unique.to_owned(),
                    entry.path(),
                    meta.len(),
                    parsed.flags(),
                    date,
                ));
            }
        }
        // New files get UIDs in delivery order.
        found.sort_by(|a, b| a.4.cmp(&b.4).then_with(|| a.0.cmp(&b.0)));
        let mut changed = false;
        let mut messages = Vec::with_capacity(found.len());
        let mut live: HashMap<String, u32> = HashMap::with_capacity(found.len());
        for (unique, path, size, flags, date) in found {
            let uid = if let Some(&uid) = known.get(&unique) {
                uid
            } else {
                let uid = next;
                next = next.saturating_add(1);
                changed = true;
                uid
            };
            live.insert(unique.clone(), uid);
            messages.push(StoredMessage {
                uid,
                unique,
                path,
                size,
                flags,
                internal_date: date,
            });
        }
        if known.len() != live.len() {
            changed = true;
        }
        known = live;
        messages.sort_by_key(|m| m.uid);
        if changed || !list_path.exists() {
            write_uidlist(&list_path, validity, next, &known)?;
        }
        Ok(MailboxState {
            uid_validity: validity,
            uid_next: next,
            messages,
        })
    }

    /// Sets the flags of the message with `uid` (moving it to cur/ when needed).
    pub(crate) fn set_flags(
        &self,
        user: &str,
        mailbox: &str,
        uid: u32,
        flags: Flags,
    ) -> io::Result<()> {
        let dir = self.mailbox_dir(user, mailbox)?;
        let _g = self.guard();
        let state = Self::scan_locked(&dir)?;
        let Some(msg) = state.messages.iter().find(|m| m.uid == uid) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no message with UID {uid}"),
            ));
        };
        let target = dir
            .join("cur")
            .join(correo_mime::maildir::with_flags(&msg.unique, flags));
        if target != msg.path {
            fs::rename(&msg.path, &target)?;
        }
        Ok(())
    }

    /// Removes messages by UID.
    pub(crate) fn remove(&self, user: &str, mailbox: &str, uids: &[u32]) -> io::Result<()> {
        let dir = self.mailbox_dir(user, mailbox)?;
        let _g = self.guard();
        let state = Self::scan_locked(&dir)?;
        for msg in state.messages.iter().filter(|m| uids.contains(&m.uid)) {
            fs::remove_file(&msg.path)?;
        }
        Self::scan_locked(&dir).map(|_| ())
    }

    /// Copies the message with `uid` into another mailbox, keeping its flags; returns the
    /// new UID.
    pub(crate) fn copy(&self, user: &str, from: &str, uid: u32, to: &str) -> io::Result<u32> {
        let (bytes, flags) = {
            let dir = self.mailbox_dir(user, from)?;
            let _g = self.guard();
            let state = Self::scan_locked(&dir)?;
            let Some(msg) = state.messages.iter().find(|m| m.uid == uid) else {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no message with UID {uid}"),
                ));
            };
            (fs::read(&msg.path)?, msg.flags)
        };
        if !self.mailbox_exists(user, to) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no mailbox {to:?}"),
            ));
        }
        self.deliver(user, to, &bytes, flags)
    }
}

fn make_maildir(dir: &Path) -> io::Result<()> {
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    Ok(())
}

fn read_uidlist(path: &Path) -> (u32, u32, HashMap<String, u32>) {
    let mut known = HashMap::new();
    let Ok(text) = fs::read_to_string(path) else {
        return (0, 1, known);
    };
    let mut lines = text.lines();
    let (mut validity, mut next) = (0u32, 1u32);
    if let Some(head) = lines.next() {
        for word in head.split_whitespace() {
            if let Some(v) = word.strip_prefix('V') {
                validity = v.parse().unwrap_or(0);
            } else if let Some(n) = word.strip_prefix('N') {
                next = n.parse().unwrap_or(1);
            }
        }
    }
    for line in lines {
        if let Some((uid, unique)) = line.split_once(' ')
            && let Ok(uid) = uid.parse::<u32>()
        {
            next = next.max(uid.saturating_add(1));
            known.insert(unique.to_owned(), uid);
        }
    }
    (validity, next, known)
}

fn write_uidlist(
    path: &Path,
    validity: u32,
    next: u32,
    known: &HashMap<String, u32>,
) -> io::Result<()> {
    let mut entries: Vec<(&u32, &String)> = known.iter().map(|(k, v)| (v, k)).collect();
    entries.sort();
    let mut text = format!("V{validity} N{next}\n");
    for (uid, unique) in entries {
        let _ = writeln!(text, "{uid} {unique}");
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text)?;
    fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_root(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("correo-store-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn uids_are_stable_and_flags_move_files() {
        let root = temp_root("uids");
        let store = Store::new(&root, "test.host").unwrap();
        store.ensure_user("alice").unwrap();
        let a = store
            .deliver("alice", "INBOX", b"Subject: a\r\n\r\nA\r\n", Flags::EMPTY)
            .unwrap();
        let b = store
            .deliver("alice", "INBOX", b"Subject: b\r\n\r\nB\r\n", Flags::EMPTY)
            .unwrap();
        assert_eq!((a, b), (1, 2));
        store.set_flags("alice", "INBOX", a, Flags::SEEN).unwrap();
        let again = Store::new(&root, "test.host").unwrap();
        let state = again.scan("alice", "INBOX").unwrap();
        assert_eq!(
            state.messages.iter().map(|m| m.uid).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert!(state.messages[0].flags.contains(Flags::SEEN));
        assert_eq!(state.uid_next, 3);
        again.remove("alice", "INBOX", &[1]).unwrap();
        let c = again.deliver("alice", "INBOX", b"x", Flags::EMPTY).unwrap();
        assert_eq!(c, 3, "UIDs are never reused");
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn folders_use_maildir_plus_plus() {
        let root = temp_root("folders");
        let store = Store::new(&root, "h").unwrap();
        store.ensure_user("bob").unwrap();
        store.create_mailbox("bob", "laboratorio/prueba").unwrap();
        assert!(root.join("bob/.laboratorio.prueba/cur").is_dir());
        assert_eq!(
            store.mailboxes("bob").unwrap(),
            vec!["INBOX", "laboratorio", "laboratorio/prueba"]
        );
        assert!(store.create_mailbox("bob", "laboratorio").is_err());
        assert!(store.mailbox_dir("bob", "../x").is_err());
        let uid = store.deliver("bob", "INBOX", b"m", Flags::EMPTY).unwrap();
        let copied = store
            .copy("bob", "INBOX", uid, "laboratorio/prueba")
            .unwrap();
        assert_eq!(copied, 1);
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn users_file() {
        let users = Users::parse("# demo\nalice:secret\nbob:pa:ss\n\n").unwrap();
        assert!(users.check("alice", "secret"));
        assert!(users.check("bob", "pa:ss"));
        assert_eq!(users.for_address("Alice@example.org"), Some("alice"));
        assert_eq!(users.for_address("carol@example.org"), None);
        assert!(Users::parse("no-colon\n").is_err());
        assert!(Users::parse("../x:y\n").is_err());
    }
}
