//! A real SMTP server on loopback for mail scenarios: Debian's `python3-aiosmtpd`, keeping
//! what it receives in a Maildir that the test reads. `AIOSMTPD_PYTHON` names the Python that
//! has the module (default `/usr/bin/python3`; `scripts/test.sh` installs the package).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let port = free_port();
        let dir = tempfile::tempdir().expect("temp dir");
        let maildir = dir.path().join("mail");
        let python = std::env::var("AIOSMTPD_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        // Dropping `sink` stops the process, on every path out of here.
        let sink = Self {
            child: Command::new(&python)
                .args(["-m", "aiosmtpd", "-n", "-l"])
                .arg(format!("127.0.0.1:{port}"))
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(&maildir)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot start {python} -m aiosmtpd ({e}): apt-get install python3-aiosmtpd"
                    )
                }),
            port,
            dir,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not start on port {port} (is python3-aiosmtpd installed?)");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, raw.
    pub fn received(&self) -> Vec<String> {
        let new: PathBuf = self.dir.path().join("mail").join("new");
        let mut files: Vec<_> = std::fs::read_dir(new)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .collect()
    }

    /// Waits until `count` messages whose subject starts with `prefix` arrived.
    pub async fn wait_for(&self, prefix: &str, count: usize) -> Vec<Mail> {
        for _ in 0..150 {
            let got: Vec<Mail> = self
                .received()
                .iter()
                .map(|raw| Mail::parse(raw))
                .filter(|m| m.subject.starts_with(prefix))
                .collect();
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{count} mails starting {prefix:?} never arrived; got subjects {:?}",
            self.received()
                .iter()
                .map(|r| Mail::parse(r).subject)
                .collect::<Vec<_>>()
        );
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// What a test reads from a received message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The calendar attachment, if any.
    pub ics: Option<String>,
}

impl Mail {
    pub fn parse(raw: &str) -> Mail {
        let raw = raw.replace("\r\n", "\n");
        let header = |name: &str| {
            raw.lines()
                .take_while(|l| !l.is_empty())
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.trim().to_owned())
                })
                .unwrap_or_default()
        };
        let parts = parts(&raw);
        let text = parts
            .iter()
            .find(|(ty, _)| ty.starts_with("text/plain"))
            .map(|(_, body)| body.clone())
            .unwrap_or_default();
        let ics = parts
            .iter()
            .find(|(ty, _)| ty.starts_with("text/calendar"))
            .map(|(_, body)| body.clone());
        Mail {
            to: header("To"),
            subject: header("Subject"),
            text,
            ics,
        }
    }

    /// A property of the calendar attachment (`SEQUENCE`, `METHOD`…).
    pub fn ics_prop(&self, name: &str) -> Option<String> {
        self.ics.as_deref()?.lines().find_map(|l| {
            l.trim_end()
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix(':'))
                .map(str::to_owned)
        })
    }
}

/// (content type, decoded body) of each leaf part; a single-part message is one part.
fn parts(raw: &str) -> Vec<(String, String)> {
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw, ""));
    let field = |head: &str, name: &str| -> String {
        // Unfold continuation lines first.
        let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
        unfolded
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let content_type = field(head, "Content-Type");
    if let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
    {
        let boundary = format!("--{}", boundary.trim_matches('"'));
        return body
            .split(&boundary)
            .skip(1)
            .filter(|p| !p.starts_with("--"))
            .flat_map(|p| parts(p.trim_start_matches('\n')))
            .collect();
    }
    let encoding = field(head, "Content-Transfer-Encoding").to_ascii_lowercase();
    let decoded = match encoding.as_str() {
        "base64" => {
            use base64::Engine;
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.to_owned(),
    };
    vec![(
        content_type.to_ascii_lowercase(),
        decoded.replace("\r\n", "\n"),
    )]
}

fn quoted_printable(body: &str) -> String {
    let mut out = Vec::new();
    let bytes = body.replace("=\n", "").into_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&String::from_utf8_lossy(&bytes[i + 1..i + 3]), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
