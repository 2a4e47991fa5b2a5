//! Slow clients: a request body that stops arriving for `SUMAI_BODY_IDLE_TIMEOUT_SECS`
//! is cut off (408), so that a client trickling bytes cannot hold a worker and a
//! connection for ever. The headers have their own limit (`client_request_timeout`).
//! The limit is on silence, not on the whole body: a large CSV import that keeps
//! arriving is never cut.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use futures_util::Stream;
use tokio::time::{Instant, Sleep, sleep};

use crate::state::AppState;

/// The message of the I/O error a timed-out body ends with; `error.rs` turns it into 408.
pub const TIMED_OUT: &str = "the request body stopped arriving";

struct IdleTimeout<S> {
    inner: S,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    done: bool,
}

impl<S> Stream for IdleTimeout<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(item) => {
                let idle = self.idle;
                self.timer.as_mut().reset(Instant::now() + idle);
                Poll::Ready(item)
            }
            Poll::Pending => match self.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.done = true;
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        TIMED_OUT,
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

pub async fn body_timeout(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(idle) = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.body_idle_timeout)
    {
        let inner = req.take_payload();
        let timed = IdleTimeout {
            inner,
            idle,
            timer: Box::pin(sleep(idle)),
            done: false,
        };
        req.set_payload(Payload::Stream {
            payload: Box::pin(timed),
        });
    }
    next.call(req).await
}

/// Whether a payload error is the idle timeout's.
pub fn is_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}
