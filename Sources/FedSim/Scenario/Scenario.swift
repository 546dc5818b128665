import Aggregation
import Graphs
import Learning
import Randomness
import Simulation

/// A whole experiment, decoded and validated from a YAML scenario file. Defaults are documented
/// in docs/scenarios.md; every field has one except where the scenario must say what it wants.
public struct Scenario: Sendable, Equatable, Codable {
  public var name: String
  public var seed: UInt64
  public var task: TaskKind
  /// Registered clients (the population).
  public var clients: Int
  public var model: ModelSection
  public var data: DataSection
  public var topology: TopologySection
  public var devices: DeviceModel
  public var network: NetworkModel
  public var schedule: ScheduleSection
  public var aggregator: AggregatorSection
  /// Differential privacy (clipping, noise, accounting); nil for a non-private run.
  public var privacy: PrivacySection?
  public var evaluation: EvaluationSection
  /// What the run does when something goes wrong.
  public var faults: FaultsSection
  public var output: OutputSection
  /// Clients that send poisoned values (`adversaries`), to evaluate robust aggregation.
  public var adversaries: AdversariesSection? = nil

  public enum TaskKind: String, Sendable, Equatable, CaseIterable, Codable {
    case loraLM = "lora-lm"
    case linearRegression = "linear-regression"
    case logisticRegression = "logistic-regression"
  }
}

/// The base model and its adapter.
public struct ModelSection: Sendable, Equatable, Codable {
  public enum Base: Sendable, Equatable, Codable {
    /// A built-in config pretrained on pooled public data at the start of the run (cached).
    case builtIn(config: ModelConfig, pretrainSteps: Int, pretrainLearningRate: Float)
    /// A FedSim or Hugging Face Llama directory.
    case checkpoint(path: String)
  }

  public var base: Base
  public var lora: LoRAConfig
  /// Per client, its number of experts (generalists + its specialists) when clients of a mixture
  /// hold different numbers of specialists; nil when every client has `lora.mixture.experts`.
  public var expertsPerClient: [Int]? = nil
  /// The initial value of every coordinate of a convex task's model (x⁰).
  public var convexInit: Double
}

/// Where the text comes from and how it is spread over clients.
public struct DataSection: Sendable, Equatable, Codable {
  public enum Source: Sendable, Equatable, Codable {
    case markov(domains: Int, vocabulary: Int, order: Int, concentration: Double, documentsPerDomain: Int, documentLength: Int)
    case textDirectory(path: String, domainPerFolder: Bool)
    case jsonLines(path: String, textField: String, domainField: String)
    /// Fortune files: one domain per file, or per given path (`domain_per: path`, e.g. one language
    /// per folder), at most `documentsPerDomain` entries of each (a seeded random subset).
    case fortune(paths: [String], domainPerPath: Bool, documentsPerDomain: Int?)
    /// Decor's synthetic least squares: f_i(x) = ½‖A_i x − b_i‖², A_i = ((i+1)/√n) I, b_i ~ N(0, ζ/(i+1)² I).
    case decorQuadratic(dimension: Int, zeta: Double)
    /// Linear regression with per-client concept shift.
    case linear(dimension: Int, examples: Int, noise: Double, heterogeneity: Double)
    /// Logistic regression with per-client covariate shift and an L2 term.
    case logistic(dimension: Int, examples: Int, heterogeneity: Double, l2: Double)

    var isLogistic: Bool {
      if case .logistic = self { return true }
      return false
    }

    /// Whether the source feeds a convex task (rather than the language model).
    public var isConvex: Bool {
      switch self {
      case .decorQuadratic, .linear, .logistic: return true
      default: return false
      }
    }
  }

  public enum Partition: Sendable, Equatable, Codable {
    case iid
    case domainPerClient
    case domainsPerClient(Int)
    case dirichlet(alpha: Double)
    case mixture(weights: [[Double]])
    case quantitySkew(exponent: Double, minimum: Int)
  }

  public enum Target: String, Sendable, Equatable, CaseIterable, Codable {
    case inDistribution = "in-distribution"
    case outOfDistribution = "out-of-distribution"
  }

  public var source: Source
  public var partition: Partition
  public var trainFraction: Double
  public var validationFraction: Double
  public var testFraction: Double
  public var target: Target
  /// Fraction of the corpus held out as a shared public reference set (and for pretraining).
  public var publicFraction: Double
}

/// The communication graph (decentralized modes).
public struct TopologySection: Sendable, Equatable, Codable {
  public var kind: String
  /// Generator parameters by name (`k`, `p`, `beta`, `m`, `rows`, `columns`).
  public var parameters: [String: Double]
  /// An edge-list file when `kind` is `edges`.
  public var edgesFile: String?
  public var mixing: String
  public var resampleEveryRound: Bool
  public var requireConnected: Bool
}

/// Execution mode, rounds and local training.
public struct ScheduleSection: Sendable, Equatable, Codable {
  public enum Mode: String, Sendable, Equatable, CaseIterable, Codable {
    case synchronous = "sync"
    case bufferedAsynchronous = "async"
    case gossip = "gossip"
    case asynchronousGossip = "async-gossip"
  }

  public var mode: Mode
  public var rounds: Int
  public var clientsPerRound: Int
  public var overSelection: Double
  public var deadline: Double?
  public var minimumReports: Int
  public var concurrency: Int
  public var bufferSize: Int
  public var maxStaleness: Int?
  public var localSteps: Int
  public var batchSize: Int
  public var sequenceLength: Int?
  public var optimizer: OptimizerConfig
  public var learningRate: Float
  public var learningRateSchedule: String
  public var warmupSteps: Int
  public var gradientClip: Float?
  /// How a mixture's routers are trained (models with `model.mixture`).
  public var router: RouterSchedule
}

/// CoMiGS's upper level: every `every` cumulative local steps the router takes `steps` AdamW
/// steps (β = (0.9, 0.95), no weight decay, constant `learningRate`) on validation batches, using
/// router gradients only, while the experts' steps use expert gradients only. With
/// `data: train` the router is trained jointly with the experts on training batches instead
/// (pFedMoE-style, one level).
public struct RouterSchedule: Sendable, Equatable, Codable {
  public enum Data: String, Sendable, Equatable, CaseIterable, Codable { case validation, train }
  public var every: Int
  public var steps: Int
  public var learningRate: Float
  public var data: Data

  public init(every: Int = 30, steps: Int = 10, learningRate: Float = 2e-3, data: Data = .validation) {
    self.every = every
    self.steps = steps
    self.learningRate = learningRate
    self.data = data
  }
}

/// The aggregator's name and its own options (validated by the aggregator).
public struct AggregatorSection: Sendable, Equatable, Codable {
  public var name: String
  public var options: [String: String]
}

public struct EvaluationSection: Sendable, Equatable, Codable {
  /// Which clients are evaluated.
  public enum Clients: Sendable, Equatable, Codable {
    case all
    /// A fixed random sample of this many clients, drawn once from the run's seed.
    case sampled(Int)
  }

  /// Evaluate every k rounds (and after the last).
  public var every: Int
  /// Every client, or a fixed sample (the default above 10,000 clients: 1,000 of them).
  public var clients: Clients
  public var splits: [String]
  /// Rounds at the end over which `tail_*` summary values are averaged.
  public var tail: Int
}

/// Differential privacy of a run: what is clipped, how much noise, how it is accounted.
public struct PrivacySection: Sendable, Equatable, Codable {
  public enum Level: String, Sendable, Equatable, CaseIterable, Codable {
    /// The whole local update is clipped: one user's data is the unit of privacy.
    case user
    /// Each example's gradient is clipped and the batch averaged (DP-SGD): one example is the unit.
    case example
  }

  public enum Curious: Sendable, Equatable, Codable {
    case users([Int])
    /// The worst single curious user, for every honest user.
    case worstSingle
  }

  public enum KeySource: String, Sendable, Equatable, CaseIterable, Codable {
    /// Key pairs derived from the run's seed: reproducible runs.
    case seeded
    /// Key pairs from OpenSSL's CSPRNG, as a deployment would: the run is not reproducible.
    case system
  }

  public var level: Level
  /// C: the clipping norm.
  public var clip: Double
  /// Private noise std (decor, ldp) or the std of the noise on the sum (cdp), in gradient units;
  /// nil when calibrated from `targetEpsilon`.
  public var sigmaCDP: Double?
  /// Correlated noise std (decor); nil when calibrated from `targetEpsilon`.
  public var sigmaCor: Double?
  /// Calibrate the missing noise level so the run ends at this ε.
  public var targetEpsilon: Double?
  public var delta: Double
  public var curious: Curious
  public var keys: KeySource
  /// Amplification theorem for example-level accounting.
  public var subsampling: String
  /// How ε is computed from the noise (the decoder always sets it; nil, in a resolved.json of an
  /// older version, means `rdp`).
  public var accountant: Accountant? = .rdp

  public enum Accountant: String, Sendable, Equatable, CaseIterable, Codable {
    /// RDP: SecLDP's conversion ε = Tρ + 2√(Tρ ln 1/δ) at user level (the Decor paper's, for
    /// reproduction), the subsampled RDP curve's classic conversion at example level.
    case rdp
    /// Privacy loss distributions: at user level the loss is Gaussian, so the exact analytic
    /// Gaussian curve at μ = √(2Tρ); not available at example level (fixed-size batches drawn
    /// without replacement have no dominating pair implemented).
    case pld
  }
}

/// What a run does when something goes wrong.
/// Adversarial (Byzantine) clients: they train like the others but send poisoned values — what
/// robust aggregators are evaluated against.
public struct AdversariesSection: Sendable, Equatable, Codable {
  public enum Attack: String, Sendable, Equatable, CaseIterable, Codable {
    /// y = x + s·N(0, I): a random model around the one the client started from.
    case gaussian
    /// y = x − s·(x_trained − x): the update reversed (and scaled by s).
    case signFlip = "sign-flip"
    /// y = x + s·(x_trained − x): the update amplified s times (model replacement).
    case scaled
    /// The client trains on flipped labels — y → 1 − y (logistic regression), y → −y (least
    /// squares), next token t → V − 1 − t (language models) — and sends what it trained; its own
    /// model is the poisoned one. `scale` does not apply.
    case labelFlip = "label-flip"
  }

  /// How many clients are adversarial (drawn once from the seed).
  public var count: Int
  public var attack: Attack
  /// s of the attack (the noise's standard deviation for gaussian).
  public var scale: Double

  public init(count: Int, attack: Attack, scale: Double) {
    self.count = count
    self.attack = attack
    self.scale = scale
  }

  /// The adversarial clients: `count` ids drawn uniformly from the seed (Floyd's algorithm).
  public func clients(population: Int, seed: UInt64) -> Set<Int> {
    var stream = RandomStream(seed: seed, purpose: StreamPurpose("adversaries"))
    var chosen = Set<Int>()
    guard count > 0, count <= population else { return count > 0 ? Set(0..<population) : [] }
    for j in (population - count)..<population {
      let t = stream.nextInt(below: j + 1)
      chosen.insert(chosen.contains(t) ? j : t)
    }
    return chosen
  }

  /// The values an adversary sends instead of `trained`, having started the round from `start`.
  public func poison(start: [Float], trained: [Float], client: Int, round: Int, seed: UInt64) -> [Float] {
    switch attack {
    case .labelFlip: return trained  // poisoned by its data, not after training
    case .signFlip: return (0..<trained.count).map { Float(Double(start[$0]) - scale * (Double(trained[$0]) - Double(start[$0]))) }
    case .scaled: return (0..<trained.count).map { Float(Double(start[$0]) + scale * (Double(trained[$0]) - Double(start[$0]))) }
    case .gaussian:
      var stream = RandomStream(
        seed: seed, purpose: StreamPurpose("adversary-noise"), client: UInt32(truncatingIfNeeded: client),
        round: UInt32(truncatingIfNeeded: round))
      var noise = [Double](repeating: 0, count: trained.count)
      noise.withUnsafeMutableBufferPointer { stream.fillGaussians($0.baseAddress!, count: trained.count) }
      return (0..<trained.count).map { Float(Double(start[$0]) + scale * noise[$0]) }
    }
  }
}

public struct FaultsSection: Sendable, Equatable, Codable {
  /// What happens to a non-finite value (NaN or ±∞) in a client's loss, in its update before it is
  /// sent, or in what an aggregator produces.
  public enum NonFinite: String, Sendable, Equatable, CaseIterable, Codable {
    /// Drop it: the client's update is not sent and the client goes back to its model and
    /// optimiser state from before the round (an aggregate is not applied). Counted in the
    /// metrics (`kind: non_finite` records) and the summary, and logged.
    case reject
    /// Stop the run with an error naming the round, the client and the tensor.
    case stop
  }

  public var nonFinite: NonFinite

  public init(nonFinite: NonFinite = .reject) { self.nonFinite = nonFinite }
}

public struct OutputSection: Sendable, Equatable, Codable {
  public var directory: String?
  public var saveAdapters: Bool
  public var writeTrace: Bool
  /// Rounds between checkpoints (`output.checkpoint_every`); nil is the default (every 10 rounds
  /// where the schedule can be resumed), 0 writes one only when the run is interrupted.
  public var checkpointEvery: Int? = nil
}

extension Scenario {
  /// What the aggregator is told before the run (`Aggregator.validate`); gossip degrees come from
  /// `graph`, the fixed graph the caller has already built (nil for time-varying graphs).
  public func aggregationSetup(graph: Graph?) -> AggregationSetup {
    switch schedule.mode {
    case .synchronous: return AggregationSetup(clients: clients, schedule: .synchronousServer(clientsPerRound: schedule.clientsPerRound))
    case .bufferedAsynchronous: return AggregationSetup(clients: clients, schedule: .bufferedServer(bufferSize: schedule.bufferSize))
    case .gossip, .asynchronousGossip:
      return AggregationSetup(clients: clients, schedule: .gossip(degrees: graph.map { $0.minDegree...$0.maxDegree }))
    }
  }
}
