//! The lab practicals' POP3 exercises (the project's seeds), run with correo's client
//! against correo's server in memory, checking the replies the seeds show.

mod common;

use common::{Store, bodies, pump};
use correo_pop3::client::{Client, ClientConfig, Event as CEvent};
use correo_pop3::codec::{CommandKind, ScanListing, Stat};
use correo_pop3::server::{Server, ServerConfig};
use correo_wire::sasl::{Mechanism, SaslClient};

/// A CRLF message of exactly `size` bytes.
fn message(size: usize, subject: &str) -> Vec<u8> {
    let mut m = format!(
        "Return-Path: <100429021@alumnos.uc3m.es>\r\nFrom: <100429021@alumnos.uc3m.es>\r\nSubject: {subject}\r\n\r\n"
    )
    .into_bytes();
    let mut i = 0;
    while m.len() + 80 < size {
        let line = format!("{i:076}\r\n");
        m.extend_from_slice(line.as_bytes());
        i += 1;
    }
    if i % 3 == 0 {
        m.extend_from_slice(b".");
    }
    while m.len() + 2 < size {
        m.push(b'x');
    }
    m.extend_from_slice(b"\r\n");
    assert_eq!(m.len(), size);
    m
}

fn wire_has(wire: &[u8], needle: &[u8]) -> bool {
    wire.windows(needle.len()).any(|w| w == needle)
}

fn dovecot() -> ServerConfig {
    ServerConfig {
        greeting: b"Dovecot (Debian) ready.".to_vec(),
        allow_cleartext_login: true,
        ..ServerConfig::default()
    }
}

fn plain_client() -> ClientConfig {
    ClientConfig {
        allow_cleartext_login: true,
        auto_capa: false,
        ..ClientConfig::default()
    }
}

/// Seed 000, exercises 6 and 7: USER/PASS, STAT, LIST, TOP 4 0, RETR 4, DELE 4, RSET,
/// reconnect; then DELE 4 and QUIT really delete.
#[test]
fn seed_000_uc3m_dovecot_exercise() {
    let sizes = [1350, 4944, 5162, 504_023];
    let msgs: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &s)| message(s, &format!("mensaje {}", i + 1)))
        .collect();
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    let mut store = Store {
        piece: 4096,
        ..Store::default()
    }
    .user("0429021", "MiSuperContraseña", &refs);

    let session = |store: &mut Store, script: &dyn Fn(&mut Client)| {
        let mut s = Server::new(dovecot());
        let mut c = Client::new(plain_client());
        let mut wire = Vec::new();
        let mut events = pump(&mut c, &mut s, store, &mut wire);
        c.login(b"0429021", "MiSuperContraseña".as_bytes()).unwrap();
        events.extend(pump(&mut c, &mut s, store, &mut wire));
        script(&mut c);
        events.extend(pump(&mut c, &mut s, store, &mut wire));
        (events, wire)
    };

    let (events, wire) = session(&mut store, &|c| {
        c.stat().unwrap();
        c.list(None).unwrap();
        c.top(4, 0).unwrap();
        c.retr(4).unwrap();
        c.dele(4).unwrap();
        c.rset().unwrap();
        c.stat().unwrap();
        c.quit().unwrap();
    });
    assert!(wire_has(&wire, "C: PASS MiSuperContraseña\r\n".as_bytes()));
    assert!(wire_has(&wire, b"S: +OK Logged in.\r\n"));
    assert!(wire_has(&wire, b"S: +OK 4 515479\r\n"));
    assert!(wire_has(
        &wire,
        b"+OK 4 messages:\r\n1 1350\r\n2 4944\r\n3 5162\r\n4 504023\r\n.\r\n"
    ));
    assert!(wire_has(&wire, b"S: +OK Marked to be deleted.\r\n"));
    let stats: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, CEvent::Stat(_)))
        .collect();
    assert_eq!(
        stats,
        [&CEvent::Stat(Stat {
            count: 4,
            size: 515_479
        }); 2]
    );
    let scans: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            CEvent::Scan(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert_eq!(
        scans[3],
        ScanListing {
            msg: 4,
            size: 504_023
        }
    );
    let b = bodies(&events);
    let header_end = msgs[3].windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(
        b[0],
        msgs[3][..header_end],
        "TOP 4 0: the header and the blank line"
    );
    assert_eq!(b[1], msgs[3], "RETR 4: the whole message");
    assert_eq!(events.last(), Some(&CEvent::Closed { deleted: vec![] }));

    // Reconnect: the message is still there.
    let (events, _) = session(&mut store, &|c| {
        c.stat().unwrap();
        c.dele(4).unwrap();
        c.quit().unwrap();
    });
    assert!(events.contains(&CEvent::Stat(Stat {
        count: 4,
        size: 515_479
    })));
    assert_eq!(events.last(), Some(&CEvent::Closed { deleted: vec![4] }));

    // Reconnect: now it is gone.
    let (events, _) = session(&mut store, &|c| {
        c.stat().unwrap();
        c.quit().unwrap();
    });
    assert!(events.contains(&CEvent::Stat(Stat {
        count: 3,
        size: 11_456
    })));
}

/// Seed 003: Thunderbird's CAPA, AUTH PLAIN with an empty `+` challenge, STAT, LIST,
/// UIDL, RETR 3, QUIT against Dovecot.
#[test]
fn seed_003_thunderbird_auth_plain() {
    let msgs = [
        message(781, "uno"),
        message(785, "dos"),
        message(777, "probando eier 4"),
    ];
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    let mut store = Store {
        piece: 100,
        ..Store::default()
    }
    .user("alumnopop", "alumnopoppass", &refs);
    for (i, m) in store
        .users
        .get_mut(&b"alumnopop"[..])
        .unwrap()
        .1
        .iter_mut()
        .enumerate()
    {
        m.0 = format!("000000{:02x}56eaa394", i + 4).into_bytes();
    }
    let mut s = Server::new(ServerConfig {
        mechanisms: vec![Mechanism::Plain],
        stls: true,
        ..dovecot()
    });
    let mut c = Client::new(ClientConfig {
        auto_capa: true,
        ..plain_client()
    });
    let mut wire = Vec::new();
    let mut events = pump(&mut c, &mut s, &mut store, &mut wire);
    let caps = c.capabilities().unwrap().clone();
    assert!(caps.stls() && caps.pipelining() && caps.user());
    assert_eq!(caps.sasl_mechanisms(), vec![b"PLAIN".to_vec()]);
    c.authenticate(
        SaslClient::plain(None, "alumnopop", "alumnopoppass").unwrap(),
        false,
    )
    .unwrap();
    events.extend(pump(&mut c, &mut s, &mut store, &mut wire));
    c.stat().unwrap();
    c.list(None).unwrap();
    c.uidl(None).unwrap();
    c.retr(3).unwrap();
    c.quit().unwrap();
    events.extend(pump(&mut c, &mut s, &mut store, &mut wire));
    assert!(wire_has(
        &wire,
        b"C: AUTH PLAIN\r\nS: + \r\nC: AGFsdW1ub3BvcABhbHVtbm9wb3BwYXNz\r\nS: +OK Logged in.\r\n"
    ));
    assert!(
        wire_has(&wire, b"C: STAT\r\nLIST\r\nUIDL\r\nRETR 3\r\nQUIT\r\n"),
        "pipelined"
    );
    assert!(wire_has(&wire, b"S: +OK 3 2343\r\n"));
    assert!(wire_has(
        &wire,
        b"+OK\r\n1 0000000456eaa394\r\n2 0000000556eaa394\r\n3 0000000656eaa394\r\n.\r\n"
    ));
    assert!(wire_has(&wire, b"+OK 777 octets\r\n"));
    assert!(wire_has(&wire, b"\r\n.\r\n+OK Logging out.\r\n"));
    assert!(events.iter().any(|e| matches!(
        e,
        CEvent::Authenticated {
            command: CommandKind::Auth,
            ..
        }
    )));
    assert_eq!(bodies(&events), vec![msgs[2].clone()]);
}

/// Seed 004 (Kurose-Ross): user bob / pass hungry, list, retr 1, dele 1, retr 2, quit.
#[test]
fn seed_004_lecture_session() {
    let mut store = Store {
        piece: 16,
        ..Store::default()
    }
    .user(
        "bob",
        "hungry",
        &[&message(498, "one"), &message(912, "two")],
    );
    let mut s = Server::new(ServerConfig {
        greeting: b"POP3 server ready".to_vec(),
        allow_cleartext_login: true,
        ..ServerConfig::default()
    });
    let mut c = Client::new(plain_client());
    let mut wire = Vec::new();
    pump(&mut c, &mut s, &mut store, &mut wire);
    c.login(b"bob", b"hungry").unwrap();
    pump(&mut c, &mut s, &mut store, &mut wire);
    c.list(None).unwrap();
    c.retr(1).unwrap();
    c.dele(1).unwrap();
    c.retr(2).unwrap();
    c.quit().unwrap();
    let events = pump(&mut c, &mut s, &mut store, &mut wire);
    assert!(
        wire.starts_with(
            b"S: +OK POP3 server ready\r\nC: USER bob\r\nS: +OK\r\nC: PASS hungry\r\n"
        )
    );
    assert!(wire_has(&wire, b"1 498\r\n2 912\r\n.\r\n"));
    assert_eq!(bodies(&events).len(), 2);
    assert_eq!(events.last(), Some(&CEvent::Closed { deleted: vec![1] }));
    assert_eq!(store.users[&b"bob"[..]].1.len(), 1);
}
