//! Sockets and TLS for the `correo` tool: the only I/O in the project.
//!
//! A [`Conn`] is a TCP stream that may be upgraded to TLS in place (STARTTLS, STLS) or be
//! TLS from the first byte (implicit TLS). The protocol crates never see it: the commands
//! read bytes from it, hand them to a sans-IO machine, and write what the machine says.

use std::fs;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{
    ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection, StreamOwned,
};

/// The crypto provider every TLS config here uses (pure Rust `ring`, no C build of OpenSSL).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A connection: plain TCP, or TLS as a client or as a server.
pub(crate) enum Conn {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS, this side being the client.
    Client(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// TLS, this side being the server.
    Server(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Conn {
    /// The underlying TCP stream (for timeouts and addresses).
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Client(s) => s.get_ref(),
            Conn::Server(s) => s.get_ref(),
        }
    }

    /// Starts TLS as a client on a plain connection and completes the handshake.
    pub(crate) fn into_tls_client(self, config: Arc<ClientConfig>, host: &str) -> io::Result<Conn> {
        let Conn::Plain(tcp) = self else {
            return Err(io::Error::other("TLS is already active"));
        };
        let name = ServerName::try_from(host.to_owned()).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("server name {host:?}: {e}"),
            )
        })?;
        let conn = ClientConnection::new(config, name).map_err(io::Error::other)?;
        let mut stream = StreamOwned::new(conn, tcp);
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock)?;
        }
        Ok(Conn::Client(Box::new(stream)))
    }

    /// Starts TLS as a server on a plain connection and completes the handshake.
    pub(crate) fn into_tls_server(self, config: Arc<ServerConfig>) -> io::Result<Conn> {
        let Conn::Plain(tcp) = self else {
            return Err(io::Error::other("TLS is already active"));
        };
        let conn = ServerConnection::new(config).map_err(io::Error::other)?;
        let mut stream = StreamOwned::new(conn, tcp);
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock)?;
        }
        Ok(Conn::Server(Box::new(stream)))
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Client(s) => s.read(buf),
            Conn::Server(s) => s.read(buf),
        };
        // A peer that closes without close_notify is an ordinary end of stream for mail.
        match r {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
            r => r,
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Client(s) => s.write(buf),
            Conn::Server(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Client(s) => s.flush(),
            Conn::Server(s) => s.flush(),
        }
    }
}

/// Reads every certificate in a PEM file.
pub(crate) fn load_certs(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let pem = fs::read(path)?;
    certs_from_pem(&pem).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Reads every certificate in PEM bytes.
pub(crate) fn certs_from_pem(pem: &[u8]) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    if certs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no certificate in PEM",
        ));
    }
    Ok(certs)
}

/// A client config that trusts the Mozilla roots, plus the certificates in `ca` when given.
/// A certificate in `ca` that the server presents as its own (a self-signed test
/// certificate, as `openssl req -x509` makes) is accepted as pinned.
pub(crate) fn client_config(ca: Option<&Path>) -> io::Result<Arc<ClientConfig>> {
    let extra = match ca {
        Some(ca) => load_certs(ca)?,
        None => Vec::new(),
    };
    client_config_with(extra, true)
}

fn client_config_with(
    extra: Vec<CertificateDer<'static>>,
    public_roots: bool,
) -> io::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    if public_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for cert in &extra {
        // A certificate that is not a valid trust anchor can still be pinned.
        let _ = roots.add(cert.clone());
    }
    let provider = provider();
    let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(&provider),
    )
    .build()
    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    let verifier = Arc::new(PinnedOrWebPki {
        pinned: extra,
        webpki,
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Accepts a server certificate byte-identical to one the user named with `--ca`
/// (certificate pinning), and otherwise verifies the chain and name with webpki.
#[derive(Debug)]
struct PinnedOrWebPki {
    pinned: Vec<CertificateDer<'static>>,
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
}

impl rustls::client::danger::ServerCertVerifier for PinnedOrWebPki {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return Ok(rustls::client::danger::ServerCertVerified::assertion());
        }
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// A server config from a certificate chain and a private key, both PEM.
pub(crate) fn server_config_from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
) -> io::Result<Arc<ServerConfig>> {
    let certs = certs_from_pem(cert_pem)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("private key: {e}")))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    Ok(Arc::new(config))
}

/// A server config from PEM files.
pub(crate) fn server_config(cert: &Path, key: &Path) -> io::Result<Arc<ServerConfig>> {
    let cert_pem =
        fs::read(cert).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", cert.display())))?;
    let key_pem =
        fs::read(key).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", key.display())))?;
    server_config_from_pem(&cert_pem, &key_pem)
}

/// A throw-away self-signed certificate for `localhost` and 127.0.0.1: (cert PEM, key PEM).
pub(crate) fn self_signed() -> io::Result<(String, String)> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let ck = rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
    Ok((ck.cert.pem(), ck.signing_key.serialize_pem()))
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `n` random bytes from the system's secure RNG (falling back to the per-process random
/// hasher keys when the OS has no randomness to give).
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    if rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .is_err()
    {
        use std::hash::{BuildHasher, Hasher};
        for chunk in bytes.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_usize(chunk.len());
            let v = h.finish().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    bytes
}

/// `n` random printable characters (base64url alphabet) from the system's secure RNG, for
/// SCRAM nonces and CRAM-MD5 challenges.
pub(crate) fn random_token(n: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    random_bytes(n)
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 63)]))
        .collect()
}

/// A client config that trusts only `cert_pem` (a pinned, self-signed server certificate
/// such as the tour's throw-away one): no public roots, nothing else accepted.
pub(crate) fn pinned_client_config(cert_pem: &str) -> io::Result<Arc<ClientConfig>> {
    client_config_with(certs_from_pem(cert_pem.as_bytes())?, false)
}

/// Raw DEFLATE (RFC 1951) both ways, once IMAP COMPRESS is active (RFC 4978): used by
/// `correo serve --imap` and by `correo imap ... compress`.
pub(crate) struct Deflate {
    out: flate2::Compress,
    inp: flate2::Decompress,
}

impl Deflate {
    pub(crate) fn new() -> Deflate {
        Deflate {
            out: flate2::Compress::new(flate2::Compression::default(), false),
            inp: flate2::Decompress::new(false),
        }
    }

    /// Compresses `data` and ends with a sync flush, so the peer can decode all of it.
    pub(crate) fn compress(&mut self, data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        let mut input = data;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(256));
            }
            let before = self.out.total_in();
            let status = self
                .out
                .compress_vec(input, &mut out, flate2::FlushCompress::Sync)
                .map_err(io::Error::other)?;
            let used = usize::try_from(self.out.total_in() - before).unwrap_or(input.len());
            input = input.get(used..).unwrap_or_default();
            // Done when all input is in and the flush left spare room in the buffer.
            if input.is_empty() && out.len() < out.capacity() {
                return Ok(out);
            }
            if used == 0 && status == flate2::Status::BufError && out.len() < out.capacity() {
                return Ok(out);
            }
        }
    }

    /// Inflates `data`, giving the output to `sink` in bounded pieces.
    pub(crate) fn decompress(
        &mut self,
        data: &[u8],
        mut sink: impl FnMut(&[u8]),
    ) -> io::Result<()> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut input = data;
        loop {
            let (bi, bo) = (self.inp.total_in(), self.inp.total_out());
            let status = self
                .inp
                .decompress(input, &mut buf, flate2::FlushDecompress::Sync)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            let used = usize::try_from(self.inp.total_in() - bi).unwrap_or(input.len());
            let made = usize::try_from(self.inp.total_out() - bo).unwrap_or(0);
            input = input.get(used..).unwrap_or_default();
            sink(buf.get(..made).unwrap_or_default());
            if status == flate2::Status::StreamEnd {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "DEFLATE stream ended",
                ));
            }
            if input.is_empty() && made < buf.len() {
                return Ok(());
            }
            if used == 0 && made == 0 {
                return Ok(());
            }
        }
    }
}
