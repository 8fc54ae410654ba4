//! The mailbox's SMTP side: plain SMTP on a loopback port
//! (`mailin-embedded`), every accepted message kept in the [`Mailbox`].

use std::io;
use std::net::{IpAddr, TcpListener};
use std::sync::Arc;

use mailin_embedded::{Handler, Response, Server, response};

use super::Mailbox;

#[derive(Clone)]
struct Keep {
    mailbox: Arc<Mailbox>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Keep {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        self.to.clear();
        self.data.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        self.to.push(to.to_owned());
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let to = std::mem::take(&mut self.to);
        let data = std::mem::take(&mut self.data);
        match self.mailbox.save(&to, &data) {
            Ok(id) => {
                eprintln!("mailbox: message {id} for {}", to.join(", "));
                response::OK
            }
            // Not kept: the sender is told to try again later.
            Err(e) => {
                eprintln!("mailbox: {e:#}");
                Response::custom(451, "4.3.0 cannot keep the message now".into())
            }
        }
    }
}

/// Serves SMTP on `listener` on a thread of its own, for as long as the
/// process lives.
pub fn serve(listener: TcpListener, mailbox: Arc<Mailbox>) -> std::thread::JoinHandle<()> {
    let mut server = Server::new(Keep {
        mailbox,
        to: Vec::new(),
        data: Vec::new(),
    });
    server
        .with_name("mailbox.localhost")
        .with_num_threads(4)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        if let Err(e) = server.serve() {
            eprintln!("mailbox: the SMTP server stopped: {e}");
        }
    })
}
