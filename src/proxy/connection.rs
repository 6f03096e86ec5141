//! HTTP/1.1 connections to one upstream, each driven inside the request that uses it.
//!
//! A pooled HTTP client (reqwest, hyper's legacy client) runs every connection in a task of
//! its own: a request is handed to that task and its answer handed back, a wake-up of another
//! task, often on another thread, at each step. Here the request's own task writes the request,
//! reads the answer and streams the body, so the upstream's bytes reach the client after one
//! wake-up. On this project's 2-core machines that halves what the proxy adds to a request
//! (`python3 bench/proxy.py`). A connection rests in the pool between requests, undriven;
//! taking it out checks that the upstream has not closed it meanwhile.

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tokio_rustls::client::TlsStream;

/// Most connections kept resting per upstream.
const MAX_IDLE: usize = 1024;
/// A connection resting longer than this is closed rather than reused (servers close theirs).
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Why a request could not be sent or answered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    /// No TCP connection.
    #[error("connect: {0}")]
    Connect(io::Error),
    /// The TCP connection took longer than the connect timeout.
    #[error("connect: timed out after {0:?}")]
    ConnectTimeout(Duration),
    /// The TLS handshake failed.
    #[error("TLS: {0}")]
    Tls(io::Error),
    /// The response's head did not arrive in time.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// HTTP failed (connection closed, malformed response, ...).
    #[error("{0}")]
    Http(#[from] hyper::Error),
}

/// A plain or TLS socket to the upstream.
enum Socket {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Socket {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Socket::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Socket::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Socket::Plain(s) => s.is_write_vectored(),
            Socket::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Plain(s) => Pin::new(s).poll_flush(cx),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// One HTTP/1.1 connection: the handle that sends and the state machine that drives it.
struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
    driver: http1::Connection<TokioIo<Socket>, Full<Bytes>>,
}

impl Connection {
    /// Drive the connection's I/O; `true` once it has closed.
    fn poll_closed(&mut self, cx: &mut Context<'_>) -> bool {
        Pin::new(&mut self.driver).poll(cx).is_ready()
    }

    /// Whether a resting connection can take a request now (it has not been closed meanwhile).
    fn usable(&mut self) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        !self.poll_closed(&mut cx) && matches!(self.sender.poll_ready(&mut cx), Poll::Ready(Ok(())))
    }
}

/// Where the upstream is and how to reach it.
pub(crate) struct Origin {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The TLS connector and server name for `https`.
    pub tls: Option<(tokio_rustls::TlsConnector, rustls_pki_types::ServerName<'static>)>,
}

/// The pool of connections to one upstream.
pub(crate) struct Connections {
    origin: Origin,
    connect_timeout: Duration,
    idle: Mutex<Vec<(Connection, Instant)>>,
}

impl Connections {
    /// An empty pool.
    pub(crate) fn new(origin: Origin, connect_timeout: Duration) -> Self {
        Self { origin, connect_timeout, idle: Mutex::new(Vec::new()) }
    }

    /// Send a request (origin-form URI, `host` header set) and wait up to `timeout` for the
    /// response's head; its body then streams from the same connection.
    pub(crate) async fn send(
        self: &Arc<Self>,
        request: hyper::Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<hyper::Response<UpstreamBody>, SendError> {
        let (connection, reused) = match self.checkout() {
            Some(c) => (c, true),
            None => (self.connect().await?, false),
        };
        match self.exchange(connection, request, timeout).await {
            // hyper hands a request back only when none of it was written: the upstream never
            // saw it, so it is safe to send again, once, on a new connection.
            Err(Failed::Http(mut e)) if reused => match e.take_message() {
                Some(request) => {
                    let connection = self.connect().await?;
                    self.exchange(connection, request, timeout).await.map_err(SendError::from)
                }
                None => Err(SendError::Http(e.into_error())),
            },
            other => other.map_err(SendError::from),
        }
    }

    async fn exchange(
        self: &Arc<Self>,
        mut connection: Connection,
        request: hyper::Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<hyper::Response<UpstreamBody>, Failed> {
        let answer = connection.sender.try_send_request(request);
        let exchange = Exchange { connection: Some(connection), answer: Box::pin(answer) };
        let (answer, connection) =
            tokio::time::timeout(timeout, exchange).await.map_err(|_| Failed::Timeout(timeout))?;
        let response = answer.map_err(|e| Failed::Http(Box::new(e)))?;
        let pool = Arc::clone(self);
        Ok(response.map(|incoming| UpstreamBody {
            connection,
            incoming,
            pool,
            ended: false,
            idle_limit: timeout,
            idle: None,
        }))
    }

    /// A resting connection still open, most recently used first.
    fn checkout(&self) -> Option<Connection> {
        let mut idle = self.idle.lock().ok()?;
        while let Some((mut connection, since)) = idle.pop() {
            if since.elapsed() < IDLE_TIMEOUT && connection.usable() {
                return Some(connection);
            }
        }
        None
    }

    /// Put a connection whose last exchange ended cleanly back to rest.
    fn checkin(&self, connection: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push((connection, Instant::now()));
            }
        }
    }

    async fn connect(&self) -> Result<Connection, SendError> {
        let address = (self.origin.host.as_str(), self.origin.port);
        let tcp = tokio::time::timeout(self.connect_timeout, TcpStream::connect(address))
            .await
            .map_err(|_| SendError::ConnectTimeout(self.connect_timeout))?
            .map_err(SendError::Connect)?;
        // Requests and streamed chunks are small: never hold one back for an ACK.
        tcp.set_nodelay(true).map_err(SendError::Connect)?;
        let socket = match &self.origin.tls {
            None => Socket::Plain(tcp),
            Some((connector, name)) => {
                let tls = tokio::time::timeout(self.connect_timeout, connector.connect(name.clone(), tcp))
                    .await
                    .map_err(|_| SendError::ConnectTimeout(self.connect_timeout))?
                    .map_err(SendError::Tls)?;
                Socket::Tls(Box::new(tls))
            }
        };
        let (sender, driver) = http1::handshake(TokioIo::new(socket)).await?;
        Ok(Connection { sender, driver })
    }
}

/// How one exchange failed; an HTTP failure may hand the unsent request back.
enum Failed {
    Timeout(Duration),
    Http(Box<hyper::client::conn::TrySendError<hyper::Request<Full<Bytes>>>>),
}

impl From<Failed> for SendError {
    fn from(failed: Failed) -> Self {
        match failed {
            Failed::Timeout(limit) => SendError::Timeout(limit),
            Failed::Http(e) => SendError::Http(e.into_error()),
        }
    }
}

/// Drives a connection until the response's head has arrived.
struct Exchange<F> {
    connection: Option<Connection>,
    answer: Pin<Box<F>>,
}

impl<F: Future> Future for Exchange<F> {
    type Output = (F::Output, Option<Connection>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.connection.as_mut().is_some_and(|c| c.poll_closed(cx)) {
            // Closed: the answer future now resolves with the reason.
            this.connection = None;
        }
        match this.answer.as_mut().poll(cx) {
            Poll::Ready(answer) => Poll::Ready((answer, this.connection.take())),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A response body read from its connection by whoever reads the body; the connection goes
/// back to the pool once the body has been read to its end.
pub(crate) struct UpstreamBody {
    connection: Option<Connection>,
    incoming: Incoming,
    pool: Arc<Connections>,
    ended: bool,
    /// Longest wait for the next frame.
    idle_limit: Duration,
    /// The deadline of the current wait; made only when a wait happens (streams).
    idle: Option<Pin<Box<Sleep>>>,
}

/// The next frame of a body did not come in time.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// No byte for the read timeout.
    #[error("the upstream sent nothing for {0:?}")]
    Stalled(Duration),
    /// HTTP failed while reading.
    #[error("{0}")]
    Http(#[from] hyper::Error),
}

impl HttpBody for UpstreamBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = &mut *self;
        if this.connection.as_mut().is_some_and(|c| c.poll_closed(cx)) {
            this.connection = None;
        }
        match Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(frame) => {
                if frame.is_none() || this.incoming.is_end_stream() {
                    this.ended = true;
                }
                if let Some(idle) = this.idle.as_mut() {
                    idle.as_mut().reset(tokio::time::Instant::now() + this.idle_limit);
                }
                Poll::Ready(frame.map(|f| f.map_err(BodyError::Http)))
            }
            Poll::Pending => {
                let limit = this.idle_limit;
                let idle = this.idle.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match idle.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.connection = None;
                        Poll::Ready(Some(Err(BodyError::Stalled(limit))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}

impl Drop for UpstreamBody {
    fn drop(&mut self) {
        // A body left unread would leave its bytes in the connection: only a finished one rests.
        if self.ended {
            if let Some(connection) = self.connection.take() {
                self.pool.checkin(connection);
            }
        }
    }
}
