//! An answer sent before the request body was read (401 from the token check, 413, 429,
//! 404/405, ...) must not silently cost the client its keep-alive connection: the rest of that
//! body may still be on its way, so the connection cannot carry another request. Such an answer
//! says `Connection: close`, and hyper then closes after writing it (docs/operations.md,
//! "Connections and client limits").

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::http::header::CONNECTION;
use axum::http::{HeaderValue, Request, Response};
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

/// Set once the request body has been read to its end (or had none).
#[derive(Clone, Default)]
pub struct BodyRead(Arc<AtomicBool>);

impl BodyRead {
    fn mark(&self) {
        self.0.store(true, Ordering::Release);
    }
    fn is_done(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The request body, reporting when it has been read to its end.
pub struct TrackedBody {
    inner: Incoming,
    read: BodyRead,
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.read.mark();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Wrap the body of `request`; a request without a body counts as read.
pub fn track_body(request: Request<Incoming>) -> (Request<TrackedBody>, BodyRead) {
    let read = BodyRead::default();
    if request.body().is_end_stream() {
        read.mark();
    }
    let tracked = read.clone();
    let request = request.map(|inner| TrackedBody {
        inner,
        read: tracked,
    });
    (request, read)
}

/// Add `Connection: close` when the answer is ready while the body is still unread.
pub fn close_if_body_unread<B>(mut response: Response<B>, read: &BodyRead) -> Response<B> {
    if !read.is_done() {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
