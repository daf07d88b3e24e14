//! [`ClusterAgent`] and [`ClusterClientAgent`]: application logic, its cluster session and its
//! Aeron client on one agent thread.

use std::fmt;

use dutycycle::{Agent, AgentError};
use dutycycle_aeron::{AeronClient, ClientConfig, ClientError};

use crate::{ClusterClient, ClusterClientConfig, ClusterError, EgressListener};

/// Application logic that talks to an Aeron Cluster, run by a [`ClusterAgent`]: the contract
/// of [`Agent`], with the cluster session passed in, and the [`EgressListener`] callbacks for
/// what the cluster sends.
///
/// Each duty cycle the agent polls the session first (the listener callbacks run then), then
/// calls [`do_work`](ClusterClientAgent::do_work), where the logic offers.
///
/// # Examples
///
/// ```
/// use dutycycle::AgentError;
/// use dutycycle_cluster::codec::SessionMessage;
/// use dutycycle_cluster::{ClusterClient, ClusterClientAgent, EgressListener};
///
/// /// Sends numbered requests, one at a time, and counts the answers.
/// #[derive(Default)]
/// struct Gateway { sent: u64, answered: u64 }
///
/// impl EgressListener for Gateway {
///     fn on_message(&mut self, _answer: &SessionMessage<'_>) {
///         self.answered += 1;
///     }
/// }
///
/// impl ClusterClientAgent for Gateway {
///     fn do_work(&mut self, cluster: &mut ClusterClient) -> Result<usize, AgentError> {
///         if self.sent == self.answered && cluster.offer(&self.sent.to_le_bytes()).is_ok() {
///             self.sent += 1;
///             return Ok(1);
///         }
///         Ok(0)
///     }
///     fn role_name(&self) -> &str { "gateway" }
/// }
///
/// assert_eq!(Gateway::default().role_name(), "gateway"); // run it with ClusterAgent::connect
/// ```
pub trait ClusterClientAgent: EgressListener {
    /// Called once, on the agent thread, while the session connects.
    fn on_start(&mut self, cluster: &mut ClusterClient) -> Result<(), AgentError> {
        let _ = cluster;
        Ok(())
    }

    /// One turn of the duty cycle, after the session's poll. Offer here; check
    /// [`ClusterClient::state`] to know whether offers can go out. Returns the work done.
    fn do_work(&mut self, cluster: &mut ClusterClient) -> Result<usize, AgentError>;

    /// An error from the session's poll. The default passes it to the runner's error handler
    /// (the agent goes on). Override it to reconnect after a session ended
    /// ([`ClusterClient::reconnect`]) or to stop the agent (`Err(AgentError::terminate())`).
    fn on_cluster_error(
        &mut self,
        error: ClusterError,
        cluster: &mut ClusterClient,
    ) -> Result<(), AgentError> {
        let _ = cluster;
        Err(AgentError::new(error))
    }

    /// Called once when a graceful stop begins, on the agent thread ([`Agent::on_drain`]):
    /// stop taking new requests; the session stays open, and the duty cycle (egress polls
    /// and `do_work`) goes on until [`is_drained`](ClusterClientAgent::is_drained) or the
    /// runner's drain deadline.
    fn on_drain(&mut self, cluster: &mut ClusterClient) -> Result<(), AgentError> {
        let _ = cluster;
        Ok(())
    }

    /// Whether the logic holds no more work, such as requests still unanswered
    /// ([`Agent::is_drained`]; default `true`).
    fn is_drained(&self) -> bool {
        true
    }

    /// Called once at the end, on the agent thread, before the session and the Aeron client
    /// close (drain here: the session is still open).
    fn on_close(&mut self, cluster: &mut ClusterClient) -> Result<(), AgentError> {
        let _ = cluster;
        Ok(())
    }

    /// The role name.
    fn role_name(&self) -> &str {
        "cluster-client"
    }
}

/// An [`Agent`] that owns an Aeron client and a cluster session and runs
/// [`ClusterClientAgent`] logic with them, on the agent's thread, in this order:
///
/// - `on_start`: the logic's `on_start` (the session is connecting: [`connect`] made the
///   Aeron client and started the connect, in the runner's factory);
/// - `do_work`: the Aeron client's turn ([`AeronClient::do_work`]: with the conductor invoker,
///   the conductor itself), the session's poll (egress to the logic's listener callbacks;
///   an error to [`ClusterClientAgent::on_cluster_error`]), then the logic's `do_work`. An
///   error of the Aeron client is returned after the logic's turn. When the turn fails too
///   (`on_cluster_error` or the logic's `do_work` returns an error), the turn's error is
///   returned and the client's is kept: the next `do_work` returns it, before its turn, or,
///   if the agent ends first, `on_close` does. No error of the client is lost (its conductor's
///   errors are taken off their channel, and the loss of its driver is reported once);
/// - `on_close`: the logic's `on_close`, then [`ClusterClient::close`] (a SessionCloseRequest
///   while connected), then the Aeron client's close; all three run even if one fails. The
///   first error among them is returned, else a kept error of the Aeron client.
///
/// # Closed on its own thread, never from a signal handler
///
/// An Aeron Cluster gateway died with SIGSEGV during a cluster failover because the main
/// thread's signal handler closed the `AeronCluster` client while the gateway thread was still
/// polling egress on it. This agent holds the Aeron client and the session, and like them it is
/// neither `Send` nor `Sync`: a handler registered with `signal_hook::low_level::register`
/// that calls its `on_close`, or another thread that does, does not compile ("cannot be sent
/// between threads safely"). The runner builds it on the agent thread from a `Send` factory
/// and calls `on_close` there, after the last duty cycle, when no poll can be running; a signal
/// handler only signals the runner's termination
/// ([`AgentTermination::from_signals`](dutycycle::AgentTermination::from_signals)).
///
/// # Examples
///
/// A gateway that sends 100 numbered messages and counts the echoes, stopped by its own
/// termination once they are all back (with a cluster listening on the endpoints):
///
/// ```no_run
/// use dutycycle::{AgentError, AgentRunner};
/// use dutycycle_aeron::ClientConfig;
/// use dutycycle_cluster::codec::SessionMessage;
/// use dutycycle_cluster::{ClusterAgent, ClusterClient, ClusterClientAgent, ClusterClientConfig, EgressListener};
///
/// #[derive(Default)]
/// struct Gateway { sent: u64, echoed: u64 }
///
/// impl EgressListener for Gateway {
///     fn on_message(&mut self, _echo: &SessionMessage<'_>) { self.echoed += 1; }
/// }
///
/// impl ClusterClientAgent for Gateway {
///     fn do_work(&mut self, cluster: &mut ClusterClient) -> Result<usize, AgentError> {
///         if self.echoed == 100 {
///             return Err(AgentError::terminate());
///         }
///         if self.sent < 100 && cluster.offer(&self.sent.to_le_bytes()).is_ok() {
///             self.sent += 1;
///             return Ok(1);
///         }
///         Ok(0)
///     }
/// }
///
/// let aeron = ClientConfig::new(); // AERON_DIR: a running media driver
/// let cluster = ClusterClientConfig::new().ingress_endpoints("0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202");
/// cluster.validate()?; // a typo fails here, before anything starts
/// let runner = AgentRunner::start(move || Ok(ClusterAgent::connect(&aeron, &cluster, Gateway::default())?))?;
/// let report = runner.join()?; // on_close ran on the agent thread: session closed, then the client
/// assert!(report.is_clean());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`connect`]: ClusterAgent::connect
pub struct ClusterAgent<A> {
    client: Option<AeronClient>,
    cluster: Option<ClusterClient>,
    logic: A,
    /// An error of the Aeron client from a turn that returned the turn's own error: the next
    /// `do_work` (or `on_close`) returns it.
    client_error: Option<ClientError>,
}

impl<A: ClusterClientAgent> ClusterAgent<A> {
    /// Checks `cluster`, connects an Aeron client with `client` and starts connecting the
    /// session, on the calling thread (call it in the runner's factory); pairs them with
    /// `logic`.
    ///
    /// # Errors
    ///
    /// [`ClusterError::Config`] before anything is made; [`ClusterError::Client`] when the
    /// Aeron client cannot connect (no media driver, say); as [`ClusterClient::connect`].
    pub fn connect(
        client: &ClientConfig,
        cluster: &ClusterClientConfig,
        logic: A,
    ) -> Result<Self, ClusterError> {
        cluster.validate().map_err(ClusterError::Config)?;
        let client = AeronClient::connect(client).map_err(ClusterError::Client)?;
        ClusterAgent::with_client(client, cluster, logic)
    }

    /// Starts connecting a session with an Aeron client made on this thread and pairs them
    /// with `logic`. On an error the client is closed.
    ///
    /// # Errors
    ///
    /// As [`ClusterClient::connect`].
    pub fn with_client(
        client: AeronClient,
        cluster: &ClusterClientConfig,
        logic: A,
    ) -> Result<Self, ClusterError> {
        match ClusterClient::connect(&client, cluster) {
            Ok(cluster) => {
                Ok(ClusterAgent { client: Some(client), cluster: Some(cluster), logic, client_error: None })
            }
            Err(error) => {
                let _ = client.close();
                Err(error)
            }
        }
    }

    /// The logic.
    pub fn logic(&self) -> &A {
        &self.logic
    }

    /// The logic, mutably.
    pub fn logic_mut(&mut self) -> &mut A {
        &mut self.logic
    }

    /// The cluster session, until the agent closes.
    pub fn cluster(&self) -> Option<&ClusterClient> {
        self.cluster.as_ref()
    }

    /// The Aeron client, until the agent closes.
    pub fn client(&self) -> Option<&AeronClient> {
        self.client.as_ref()
    }
}

impl<A: ClusterClientAgent> ClusterAgent<A> {
    /// The session's poll, its error to the logic, then the logic's `do_work`.
    fn turn(logic: &mut A, cluster: &mut ClusterClient) -> Result<usize, AgentError> {
        let work = match cluster.poll(logic) {
            Ok(work) => work,
            Err(error) => {
                logic.on_cluster_error(error, cluster)?;
                1
            }
        };
        Ok(work + logic.do_work(cluster)?)
    }
}

impl<A: ClusterClientAgent> Agent for ClusterAgent<A> {
    fn on_start(&mut self) -> Result<(), AgentError> {
        match self.cluster.as_mut() {
            Some(cluster) => self.logic.on_start(cluster),
            None => Err(AgentError::msg("the cluster session is closed")),
        }
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        let (Some(client), Some(cluster)) = (self.client.as_mut(), self.cluster.as_mut()) else {
            return Ok(0);
        };
        // Tested before it is taken: `take` alone stores `None` back on every cycle.
        if self.client_error.is_some() {
            if let Some(error) = self.client_error.take() {
                return Err(error.into());
            }
        }
        let conductor = client.do_work();
        let turn = Self::turn(&mut self.logic, cluster);
        match (conductor, turn) {
            (Ok(conductor), Ok(work)) => Ok(conductor + work),
            (Err(error), Ok(_)) => Err(error.into()),
            (conductor, Err(error)) => {
                self.client_error = conductor.err();
                Err(error)
            }
        }
    }

    fn on_drain(&mut self) -> Result<(), AgentError> {
        match self.cluster.as_mut() {
            Some(cluster) => self.logic.on_drain(cluster),
            None => Ok(()),
        }
    }

    fn is_drained(&self) -> bool {
        self.logic.is_drained()
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        let logic = match self.cluster.as_mut() {
            Some(cluster) => self.logic.on_close(cluster),
            None => Ok(()),
        };
        // The close's outcome is logged as the `closed` event (feature `tracing`).
        let cluster = self.cluster.take().map_or(Ok(()), |mut cluster| cluster.close().map(drop));
        let client = self.client.take().map_or(Ok(()), AeronClient::close);
        logic?;
        cluster?;
        client?;
        match self.client_error.take() {
            Some(error) => Err(error.into()),
            None => Ok(()),
        }
    }

    fn role_name(&self) -> &str {
        self.logic.role_name()
    }
}

impl<A> fmt::Debug for ClusterAgent<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterAgent")
            .field("client", &self.client)
            .field("cluster", &self.cluster)
            .field("client_error", &self.client_error)
            .finish_non_exhaustive()
    }
}
