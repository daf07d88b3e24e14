//! The flags, checked: everything that can be wrong with them is found, and said with a typed
//! error, before anything starts.

use std::path::PathBuf;
use std::time::Duration;

use dutycycle::{IdleStrategy, IdleStrategyConfig, IdleStrategyParseError};
use dutycycle_aeron::{Channel, ChannelError, ClientError, ConductorMode, DriverError, MediaDriverConfig};
use dutycycle_cluster::{ClusterClientConfig, ConfigError};

pub const USAGE: &str = "\
gateway: an Aeron Cluster gateway on dutycycle agents

USAGE: gateway [FLAGS]                connects to a running cluster whose service echoes
       gateway --embedded [FLAGS]     a simulated cluster in this process, no Java

  --cluster-endpoints LIST   the cluster members' ingress endpoints
                             (default 0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202)
  --connect-timeout DURATION the cluster client's message timeout: bounds the connect and the
                             connection to a new leader (default 5s)
  --run-time DURATION        stop after this long (default 10s; 0 = until SIGINT/SIGTERM)
  --drain-timeout DURATION   at the end, how long to wait for the answers to what is in flight
                             (default 10s: longer than a cluster election)
  --rate N                   new requests a second at most (default 1000 with a cluster,
                             0 = no limit but the window, the default with --embedded)
  --window N                 requests in flight at most (default 16)
  --retry-timeout DURATION   send a request again when unanswered this long (default 1s with a
                             cluster, 250ms with --embedded)
  --driver-idle NAME         idle strategy of each agent, by Aeron/Agrona name (default backoff):
  --gateway-idle NAME          spin, noop, yield, sleep-ns:PERIOD, sleep-ms:MS,
  --service-idle NAME          backoff:SPINS,YIELDS,MINPARK,MAXPARK, ...
  --driver-core N            pin the agent to this CPU (default: not pinned). Busy-spinning
  --gateway-core N             agents should be pinned, each to a core of its own.
  --service-core N
  --conductor invoker|thread who runs the Aeron clients' conductors (default invoker: the agents)
  --driver-dir PATH          the embedded driver's directory (default: a new one in /dev/shm,
                             removed on exit)
  --log                      print each step of every agent's life to stderr, with the Aeron
                             clients' and the cluster session's (connect, failovers, close)
  -h, --help                 this text

With --embedded only (a service on IPC that fails over on a schedule):
  --channel URI              Aeron channel for ingress and egress (default aeron:ipc),
                             e.g. aeron:udp?endpoint=localhost:20121
  --failover-period DURATION the service fails over this often (default 2s; 0 = never)
  --failover-downtime DUR    how long the service stays away (default 100ms)
  --compose                  run driver, service and gateway on one thread (the gateway's
                             idle strategy and core)

DURATION is a number with a unit: 500ms, 2s, 250us (a bare number is seconds).
AERON_DIR=PATH uses the media driver running there instead of an embedded one.
SIGINT/SIGTERM: stop sending, drain, close every agent on its own thread, exit 0 when every
request was answered; a second signal ends the process at once (exit 128 + its number).
";

/// The cluster's endpoints when `--cluster-endpoints` is not given: three nodes on this
/// machine, as aeron-all's cluster samples (and the tests' harness) run them.
pub const DEFAULT_ENDPOINTS: &str = "0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202";

/// Why the flags were refused. `Display` says which flag; the reason is in `source()`.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("unknown flag {flag}")]
    UnknownFlag { flag: String },
    #[error("{flag} needs a value")]
    MissingValue { flag: String },
    #[error("{flag} takes no value")]
    UnexpectedValue { flag: String },
    #[error("{flag} {value:?} is not usable")]
    BadValue {
        flag: String,
        value: String,
        #[source]
        reason: Box<BadValue>,
    },
    #[error("{flag} applies only with --embedded")]
    OnlyEmbedded { flag: String },
    #[error("{flag} does not apply with --embedded")]
    OnlyCluster { flag: String },
}

/// Why a flag's value was refused.
#[derive(Debug, thiserror::Error)]
pub enum BadValue {
    #[error("expected a whole number with a unit, such as 500ms")]
    NotADuration,
    #[error("unknown unit {unit:?} (use ns, us, ms or s)")]
    UnknownUnit { unit: String },
    #[error("expected a number from {min} to {max}")]
    OutOfRange { min: u64, max: u64 },
    #[error("must be more than 0")]
    Zero,
    #[error("expected a CPU number")]
    NotACpu,
    #[error("core {core} is not one this process may run on (allowed: {allowed:?})")]
    CoreNotAllowed { core: usize, allowed: Vec<usize> },
    #[error("cannot read the CPUs this process may run on")]
    AllowedCores(#[source] std::io::Error),
    #[error("not an Aeron channel")]
    Channel(#[source] ChannelError),
    #[error("not an idle strategy")]
    IdleStrategy(#[source] IdleStrategyParseError),
    #[error("not a conductor mode")]
    Conductor(#[source] ClientError),
    #[error("not a cluster client configuration")]
    Cluster(#[source] ConfigError),
    #[error("not a media driver directory")]
    DriverDir(#[source] DriverError),
}

/// What the gateway talks to.
#[derive(Debug, Clone)]
pub enum Target {
    /// A running Aeron Cluster.
    Cluster(ClusterClientConfig),
    /// The simulated cluster of `--embedded`.
    Embedded(Embedded),
}

/// The settings of `--embedded`.
#[derive(Debug, Clone)]
pub struct Embedded {
    pub channel: Channel,
    pub failover_period: Option<Duration>,
    pub failover_downtime: Duration,
    pub service_idle: IdleStrategyConfig,
    pub service_core: Option<usize>,
    pub compose: bool,
}

/// The checked flags.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: Target,
    pub run_time: Option<Duration>,
    pub drain_timeout: Duration,
    /// New requests a second; `0`: as fast as the window allows.
    pub rate: u64,
    pub window: usize,
    pub retry_timeout: Duration,
    pub driver_idle: IdleStrategyConfig,
    pub gateway_idle: IdleStrategyConfig,
    pub driver_core: Option<usize>,
    pub gateway_core: Option<usize>,
    pub conductor: ConductorMode,
    pub driver_dir: Option<PathBuf>,
    /// `--log`: the lifecycle events of dutycycle, dutycycle-aeron and dutycycle-cluster go to
    /// stderr.
    pub log: bool,
    /// Testing only: this agent's `on_close` hangs, to show that a second signal still ends
    /// the process.
    pub hang_on_close: Option<String>,
}

impl Options {
    /// Whether the target is the embedded simulation.
    pub fn is_embedded(&self) -> bool {
        matches!(self.target, Target::Embedded(_))
    }

    /// The embedded settings, with `--embedded`.
    pub fn embedded(&self) -> Option<&Embedded> {
        match &self.target {
            Target::Embedded(embedded) => Some(embedded),
            Target::Cluster(_) => None,
        }
    }

    /// Parses the flags; `Ok(None)` for `--help`.
    pub fn parse(args: impl Iterator<Item = String>) -> Result<Option<Options>, OptionsError> {
        let mut raw = Raw::default();
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
                _ => (arg.clone(), None),
            };
            let switch = matches!(flag.as_str(), "-h" | "--help" | "--embedded" | "--compose" | "--log");
            if switch && inline.is_some() {
                return Err(OptionsError::UnexpectedValue { flag });
            }
            match flag.as_str() {
                "-h" | "--help" => return Ok(None),
                "--embedded" => raw.embedded = true,
                "--log" => raw.log = true,
                "--compose" => {
                    raw.compose = true;
                    raw.embedded_only.push(flag);
                }
                _ => {
                    let value = match inline.or_else(|| args.next()) {
                        Some(value) => value,
                        None => return Err(OptionsError::MissingValue { flag }),
                    };
                    raw.set(flag, value)?;
                }
            }
        }
        raw.check().map(Some)
    }
}

/// The flags as given, before the checks that depend on the mode.
#[derive(Default)]
struct Raw {
    embedded: bool,
    compose: bool,
    log: bool,
    embedded_only: Vec<String>,
    cluster_only: Vec<String>,
    endpoints: Option<String>,
    connect_timeout: Option<Duration>,
    channel: Option<Channel>,
    failover_period: Option<Option<Duration>>,
    failover_downtime: Option<Duration>,
    service_idle: Option<IdleStrategyConfig>,
    service_core: Option<usize>,
    run_time: Option<Option<Duration>>,
    drain_timeout: Option<Duration>,
    rate: Option<u64>,
    window: Option<usize>,
    retry_timeout: Option<Duration>,
    driver_idle: Option<IdleStrategyConfig>,
    gateway_idle: Option<IdleStrategyConfig>,
    driver_core: Option<usize>,
    gateway_core: Option<usize>,
    conductor: Option<ConductorMode>,
    driver_dir: Option<PathBuf>,
    hang_on_close: Option<String>,
}

impl Raw {
    fn set(&mut self, flag: String, value: String) -> Result<(), OptionsError> {
        let bad = |reason: BadValue| OptionsError::BadValue {
            flag: flag.clone(),
            value: value.clone(),
            reason: Box::new(reason),
        };
        let v = value.as_str();
        match flag.as_str() {
            "--cluster-endpoints" => self.endpoints = Some(value.clone()),
            "--connect-timeout" => self.connect_timeout = Some(positive(v).map_err(bad)?),
            "--channel" => self.channel = Some(v.parse().map_err(|e| bad(BadValue::Channel(e)))?),
            "--failover-period" => self.failover_period = Some(non_zero(duration(v).map_err(bad)?)),
            "--failover-downtime" => self.failover_downtime = Some(duration(v).map_err(bad)?),
            "--service-idle" => self.service_idle = Some(idle(v).map_err(bad)?),
            "--service-core" => self.service_core = Some(core(v).map_err(bad)?),
            "--run-time" => self.run_time = Some(non_zero(duration(v).map_err(bad)?)),
            "--drain-timeout" => self.drain_timeout = Some(duration(v).map_err(bad)?),
            "--rate" => self.rate = Some(number(v, 0, 10_000_000).map_err(bad)?),
            "--window" => self.window = Some(number(v, 1, 4096).map_err(bad)? as usize),
            "--retry-timeout" => self.retry_timeout = Some(positive(v).map_err(bad)?),
            "--driver-idle" => self.driver_idle = Some(idle(v).map_err(bad)?),
            "--gateway-idle" => self.gateway_idle = Some(idle(v).map_err(bad)?),
            "--driver-core" => self.driver_core = Some(core(v).map_err(bad)?),
            "--gateway-core" => self.gateway_core = Some(core(v).map_err(bad)?),
            "--conductor" => self.conductor = Some(v.parse().map_err(|e| bad(BadValue::Conductor(e)))?),
            "--driver-dir" => {
                // The settings check only: whether the directory is writable is the driver's to
                // find out, when it starts (first of all agents, so nothing else is built yet).
                MediaDriverConfig::new().dir(v).validate().map_err(|e| bad(BadValue::DriverDir(e)))?;
                self.driver_dir = Some(PathBuf::from(v));
            }
            "--hang-on-close" => self.hang_on_close = Some(value.clone()),
            _ => return Err(OptionsError::UnknownFlag { flag }),
        }
        match flag.as_str() {
            "--channel"
            | "--failover-period"
            | "--failover-downtime"
            | "--service-idle"
            | "--service-core" => self.embedded_only.push(flag),
            "--cluster-endpoints" | "--connect-timeout" => self.cluster_only.push(flag),
            _ => {}
        }
        Ok(())
    }

    fn check(self) -> Result<Options, OptionsError> {
        if self.embedded {
            if let Some(flag) = self.cluster_only.into_iter().next() {
                return Err(OptionsError::OnlyCluster { flag });
            }
        } else if let Some(flag) = self.embedded_only.into_iter().next() {
            return Err(OptionsError::OnlyEmbedded { flag });
        }
        let target = if self.embedded {
            Target::Embedded(Embedded {
                channel: self.channel.unwrap_or_else(Channel::ipc),
                failover_period: self.failover_period.unwrap_or(Some(Duration::from_secs(2))),
                failover_downtime: self.failover_downtime.unwrap_or(Duration::from_millis(100)),
                service_idle: self.service_idle.unwrap_or_default(),
                service_core: self.service_core,
                compose: self.compose,
            })
        } else {
            let endpoints = self.endpoints.unwrap_or_else(|| DEFAULT_ENDPOINTS.to_owned());
            let mut cluster = ClusterClientConfig::new()
                .ingress_endpoints(endpoints.clone())
                .client_name("dutycycle-gateway");
            if let Some(timeout) = self.connect_timeout {
                cluster = cluster.message_timeout(timeout);
            }
            cluster.validate().map_err(|reason| OptionsError::BadValue {
                flag: "--cluster-endpoints".to_owned(),
                value: endpoints,
                reason: Box::new(BadValue::Cluster(reason)),
            })?;
            Target::Cluster(cluster)
        };
        let embedded = self.embedded;
        Ok(Options {
            target,
            run_time: self.run_time.unwrap_or(Some(Duration::from_secs(10))),
            drain_timeout: self.drain_timeout.unwrap_or(Duration::from_secs(10)),
            rate: self.rate.unwrap_or(if embedded { 0 } else { 1000 }),
            window: self.window.unwrap_or(16),
            retry_timeout: self.retry_timeout.unwrap_or(if embedded {
                Duration::from_millis(250)
            } else {
                Duration::from_secs(1)
            }),
            driver_idle: self.driver_idle.unwrap_or_default(),
            gateway_idle: self.gateway_idle.unwrap_or_default(),
            driver_core: self.driver_core,
            gateway_core: self.gateway_core,
            conductor: self.conductor.unwrap_or(ConductorMode::Invoker),
            driver_dir: self.driver_dir,
            hang_on_close: self.hang_on_close,
            log: self.log,
        })
    }
}

impl Options {
    /// A strategy that never parks, on a thread not pinned to a core of its own, competes with
    /// every other thread for the CPU: on a small machine it starves the others.
    pub fn warn_about_spinning(&self) {
        let mut agents = vec![("gateway", &self.gateway_idle, self.gateway_core)];
        match self.embedded() {
            Some(embedded) if embedded.compose => {}
            Some(embedded) => {
                agents.push(("driver", &self.driver_idle, self.driver_core));
                agents.push(("service", &embedded.service_idle, embedded.service_core));
            }
            None => agents.push(("driver", &self.driver_idle, self.driver_core)),
        }
        for (agent, idle, core) in agents {
            if core.is_none() && !idle.build().parks() {
                eprintln!(
                    "gateway: warning: the {agent} spins ({idle}) without a core of its own \
                     (--{agent}-core): it will compete with every other thread"
                );
            }
        }
    }
}

fn non_zero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

fn positive(value: &str) -> Result<Duration, BadValue> {
    non_zero(duration(value)?).ok_or(BadValue::Zero)
}

/// `500ms`, `2s`, `250us`, `100ns`; a bare number is seconds.
fn duration(value: &str) -> Result<Duration, BadValue> {
    let value = value.trim();
    let split = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let n: u64 = number.parse().map_err(|_| BadValue::NotADuration)?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "us" | "µs" => Ok(Duration::from_micros(n)),
        "ns" => Ok(Duration::from_nanos(n)),
        _ => Err(BadValue::UnknownUnit { unit: unit.to_owned() }),
    }
}

fn number(value: &str, min: u64, max: u64) -> Result<u64, BadValue> {
    value.parse().ok().filter(|n| (min..=max).contains(n)).ok_or(BadValue::OutOfRange { min, max })
}

fn idle(value: &str) -> Result<IdleStrategyConfig, BadValue> {
    value.parse().map_err(BadValue::IdleStrategy)
}

/// A CPU this process may run on.
fn core(value: &str) -> Result<usize, BadValue> {
    let core: usize = value.parse().map_err(|_| BadValue::NotACpu)?;
    let allowed = dutycycle::allowed_cores().map_err(BadValue::AllowedCores)?;
    if allowed.contains(&core) {
        Ok(core)
    } else {
        Err(BadValue::CoreNotAllowed { core, allowed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dutycycle_cluster::EndpointsError;

    fn parse(args: &[&str]) -> Result<Option<Options>, OptionsError> {
        Options::parse(args.iter().map(|a| a.to_string()))
    }

    /// Why `args` were refused, for a bad value.
    fn reason(args: &[&str]) -> BadValue {
        match parse(args) {
            Err(OptionsError::BadValue { reason, .. }) => *reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn without_flags_it_connects_to_the_local_cluster() {
        let options = parse(&[]).unwrap().unwrap();
        assert!(!options.is_embedded());
        assert_eq!((options.rate, options.window), (1000, 16));
        assert_eq!(options.run_time, Some(Duration::from_secs(10)));
        let embedded = parse(&["--embedded", "--run-time", "0"]).unwrap().unwrap();
        assert!(embedded.is_embedded());
        assert_eq!((embedded.rate, embedded.run_time), (0, None));
    }

    #[test]
    fn bad_endpoints_are_a_typed_error_naming_the_entry() {
        let error = parse(&["--cluster-endpoints", "0=127.0.0.1:9002,1=nowhere"]).unwrap_err();
        let OptionsError::BadValue { flag, reason, .. } = &error else { panic!("{error:?}") };
        assert_eq!(flag, "--cluster-endpoints");
        let BadValue::Cluster(ConfigError::Endpoints(inner)) = &**reason else { panic!("{error:?}") };
        assert!(
            matches!(inner, EndpointsError::InvalidEndpoint { entry, .. } if entry == "1=nowhere"),
            "{inner:?}"
        );
    }

    #[test]
    fn flags_of_the_other_mode_are_refused() {
        assert!(matches!(parse(&["--failover-period", "1s"]), Err(OptionsError::OnlyEmbedded { .. })));
        assert!(matches!(parse(&["--compose"]), Err(OptionsError::OnlyEmbedded { .. })));
        assert!(matches!(
            parse(&["--embedded", "--cluster-endpoints", DEFAULT_ENDPOINTS]),
            Err(OptionsError::OnlyCluster { .. })
        ));
    }

    #[test]
    fn values_are_checked() {
        assert!(
            matches!(reason(&["--run-time", "5parsecs"]), BadValue::UnknownUnit { unit } if unit == "parsecs")
        );
        assert!(matches!(reason(&["--window", "0"]), BadValue::OutOfRange { min: 1, max: 4096 }));
        assert!(matches!(reason(&["--retry-timeout", "0"]), BadValue::Zero));
        assert!(matches!(parse(&["--run-time"]), Err(OptionsError::MissingValue { .. })));
        assert!(matches!(parse(&["--bogus", "1"]), Err(OptionsError::UnknownFlag { .. })));
    }

    #[test]
    fn switches_are_on_when_given_and_refuse_a_value() {
        assert!(!parse(&[]).unwrap().unwrap().log);
        assert!(parse(&["--log"]).unwrap().unwrap().log);
        for flag in ["--log=false", "--embedded=no", "--compose=1", "--help=x"] {
            let error = parse(&["--embedded", flag]).unwrap_err();
            let name = flag.split_once('=').unwrap().0;
            assert!(matches!(&error, OptionsError::UnexpectedValue { flag } if flag == name), "{error:?}");
            assert_eq!(error.to_string(), format!("{name} takes no value"));
        }
    }
}
