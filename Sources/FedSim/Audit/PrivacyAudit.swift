import Aggregation
import Foundation
import Graphs
import Privacy
import Randomness
import Simulation

/// An empirical privacy audit of a private scenario: the scenario runs `trials` times with a
/// gradient canary in one client and `trials` times with the canary replaced by its opposite
/// (see `AuditProbe`), each trial with fresh noise and fresh edge keys and everything else fixed;
/// an adversary that observes what the accountant's threat model lets it observe scores every
/// trial, a threshold chosen on separate calibration trials turns scores into guesses, and
/// Clopper–Pearson bounds on the two error rates give a lower bound on ε
/// (`EmpiricalPrivacy`). A correct mechanism and accountant keep the bound below the accountant's
/// ε (with the stated confidence); a bound above it is a privacy bug.
public struct PrivacyAudit {
  public struct Options: Sendable {
    /// Evaluation trials per side (with and without the canary).
    public var trials: Int = 1000
    /// Trials per side that only choose the threshold (default: half of `trials`, at least 100).
    public var calibrationTrials: Int?
    public var confidence: Double = 0.95
    /// The canary's client (default: the honest client with the largest ε).
    public var client: Int?
    /// The canary's coordinate in the shared values.
    public var coordinate: Int = 0
    /// A deliberately broken mechanism, to check that the audit catches it.
    public var fault: MechanismFault?
    public var workers: Int = 1

    public init() {}
  }

  public struct Result: Sendable {
    public let mechanism: String
    public let level: String
    public let target: Int
    public let coordinate: Int
    /// The accountant's ε for the target after the rounds it released in, and which accountant.
    public let epsilon: Double
    public let accountant: String
    public let delta: Double
    /// Rounds in which the target released (at example level, each with `local_steps` noisy steps).
    public let releases: Int
    public let bound: EmpiricalPrivacy.Bound
    public let confidence: Double
    public let calibrationTrials: Int
    /// What the adversary observed, and the threat model it respects.
    public let observed: String
    /// The score the calibration trials chose: "linear" (the target's residuals, signed by round),
    /// "likelihood-ratio" (the claimed correlated noise's optimal weighting of clients),
    /// "target-only" (the target alone, under correlated noise) or "subsampled-mixture" (example
    /// level: the log-likelihood ratio of the sampled canary).
    public let score: String
    public let threatModel: String
    public let fault: MechanismFault?
    /// Trials in which the target released nothing (scored −∞: guessed "without").
    public let silentTrials: Int
    public let wallSeconds: Double

    /// The audit found more privacy loss than the accountant reports.
    public var exceedsAccountant: Bool { bound.epsilonLower > epsilon }

    /// Everything as one JSON object (`fedsim audit --json`).
    public var jsonText: String { JSONValue.object(json).text }

    var json: [String: JSONValue] {
      var fields: [String: JSONValue] = [
        "mechanism": .string(mechanism), "level": .string(level), "client": .int(target), "coordinate": .int(coordinate),
        "epsilon": .double(epsilon), "accountant": .string(accountant), "delta": .double(delta), "releases": .int(releases),
        "epsilon_lower": .double(bound.epsilonLower), "confidence": .double(confidence), "trials": .int(bound.trialsWith),
        "calibration_trials": .int(calibrationTrials), "threshold": .double(bound.threshold),
        "false_positives": .int(bound.falsePositives), "false_negatives": .int(bound.falseNegatives), "observed": .string(observed),
        "score": .string(score),
        "threat_model": .string(threatModel), "exceeds_accountant": .bool(exceedsAccountant), "silent_trials": .int(silentTrials),
        "wall_time_s": .double(wallSeconds),
      ]
      fields["epsilon_point"] = bound.epsilonPoint.map(JSONValue.double) ?? .null
      fields["fault"] = fault.map { .string($0.rawValue) } ?? .null
      return fields
    }
  }

  public let scenario: Scenario
  public let options: Options
  public let cacheDirectory: URL

  public init(scenario: Scenario, options: Options, cacheDirectory: URL) {
    self.scenario = scenario
    self.options = options
    self.cacheDirectory = cacheDirectory
  }

  /// Runs every trial and the threshold test.
  public func run(log: @escaping (String) -> Void) throws(RunError) -> Result {
    let s = scenario
    guard options.trials > 0 else { throw .invalid(field: "--trials", value: "\(options.trials)", reason: "a positive number of trials") }
    if let calibration = options.calibrationTrials, calibration <= 0 {
      throw .invalid(field: "--calibration-trials", value: "\(calibration)", reason: "a positive number of trials")
    }
    guard options.confidence > 0 && options.confidence < 1 else {
      throw .invalid(field: "--confidence", value: "\(options.confidence)", reason: "a probability strictly between 0 and 1")
    }
    guard options.workers > 0 else { throw .invalid(field: "--workers", value: "\(options.workers)", reason: "at least one worker") }
    let aggregator = try Self.aggregator(s)
    guard aggregator.privacy != .none, s.privacy != nil else {
      throw .invalid(
        field: "aggregator.name", value: s.aggregator.name,
        reason: "nothing to audit: the audit needs a private aggregator (decor, ldp or cdp) with a privacy section")
    }
    switch s.task {
    case .loraLM:
      if s.privacy?.level == .example {
        throw .invalid(
          field: "privacy.level", value: "example",
          reason: "the example-level canary is implemented for convex tasks; audit a language model at user level")
      }
      let workers = options.workers
      return try audit(aggregator: aggregator, log: log) { () throws(RunError) in
        try Runner.languageModelLearner(for: s, cacheDirectory: cacheDirectory, workers: 1, log: workers == 1 ? log : { _ in }).0
      }
    case .linearRegression, .logisticRegression:
      return try audit(aggregator: aggregator, log: log) { () throws(RunError) in try Runner.convexLearner(for: s, eager: false) }
    }
  }

  static func aggregator(_ s: Scenario) throws(RunError) -> any Aggregator {
    do { return try AggregatorRegistry.shared.make(s.aggregator.name, options: s.aggregator.options) } catch {
      throw .invalid(field: "aggregator", value: s.aggregator.name, reason: error.description)
    }
  }

  func audit<L: LocalLearner>(
    aggregator: any Aggregator, log: @escaping (String) -> Void, makeLearner: () throws(RunError) -> L
  ) throws(RunError) -> Result {
    let s = scenario
    let started = Date()
    // One learner per worker: trials run in parallel, and a learner's scratch belongs to one trial.
    var made: [L] = []
    for _ in 0..<options.workers { made.append(try makeLearner()) }
    let learners = made, learner = made[0]
    let (fixedGraph, prepared) = try Runner.prepare(s, learner: learner, aggregator: aggregator)
    guard let plan = prepared, let section = s.privacy else {
      throw .invalid(field: "privacy", value: "missing", reason: "nothing to audit")
    }

    // The target: the honest client with the largest ε after the scenario's rounds.
    let epsilons = (0..<s.clients).map { plan.epsilon(client: $0, rounds: s.schedule.rounds) }
    let target: Int
    if let client = options.client {
      guard client >= 0 && client < s.clients else {
        throw .invalid(field: "--client", value: "\(client)", reason: "a client id in 0..<\(s.clients)")
      }
      guard epsilons[client] != nil else {
        throw .invalid(field: "--client", value: "\(client)", reason: "client \(client) is curious: privacy is owed to honest clients")
      }
      target = client
    } else {
      guard let worst = epsilons.indices.filter({ epsilons[$0] != nil }).max(by: { epsilons[$0]! < epsilons[$1]! }) else {
        throw .invalid(field: "privacy.curious", value: "all", reason: "no honest client is left")
      }
      target = epsilons.indices.first { epsilons[$0] == epsilons[worst] } ?? worst
    }
    let (curious, optimal) = try adversaryWeights(plan: plan, section: section, graph: fixedGraph, target: target)
    // Scores: the claimed noise's likelihood-ratio direction and, when it mixes clients, the
    // target alone (better when the correlated noise does not behave as claimed).
    let weightings = optimal.count > 1 ? [optimal, [target: 1.0]] : [optimal]
    var mixture: SubsampledMixture? = nil
    if plan.level == .example {
      // Example level also scores by the subsampled mixture's likelihood ratio (per round).
      let batch = min(learner.batchSize, learner.exampleCount(client: target))
      let honestNeighbours = fixedGraph.map { graph in graph.neighbours(of: target).filter { !curious.contains($0) }.count } ?? 0
      let sigma = (plan.sigmaCDP * plan.sigmaCDP + Double(honestNeighbours) * plan.sigmaCor * plan.sigmaCor).squareRoot()
      mixture = SubsampledMixture(
        samplingRate: Double(batch) / Double(max(1, learner.exampleCount(client: target))), shift: plan.clip / Double(max(1, batch)),
        sigma: sigma, steps: learner.localSteps)
    }
    let scoreNames =
      weightings.count > 1 ? ["likelihood-ratio", "target-only"] : ["linear"] + (mixture == nil ? [] : ["subsampled-mixture"])
    let calibration = options.calibrationTrials ?? max(100, options.trials / 2)
    let observed = describeObservation(plan: plan, target: target, curious: curious, weights: optimal)
    log(
      "audit: \(plan.mechanism.rawValue) noise at \(plan.level.rawValue) level, canary in client \(target) along coordinate \(options.coordinate); \(options.trials) + \(calibration) trials per side, \(options.workers) worker\(options.workers == 1 ? "" : "s")"
    )

    // Trials: side 0/1 evaluate with/without the canary, 2/3 calibrate; each its own noise seed.
    let sides: [(side: UInt32, world: Double, count: Int)] = [
      (0, 1, options.trials), (1, -1, options.trials), (2, 1, calibration), (3, -1, calibration),
    ]
    let jobs = sides.flatMap { side in (0..<side.count).map { (side: side.side, world: side.world, index: $0) } }
    let pool = WorkerPool(workers: options.workers)
    let progress = AuditProgress(total: jobs.count, log: log)
    let trial = TrialRunner(
      scenario: s, plan: plan, fault: options.fault, fixedGraph: fixedGraph, target: target, coordinate: options.coordinate,
      curious: curious, weightings: weightings, mixture: mixture)
    let outcomes = pool.map(jobs) { job, worker -> Swift.Result<(scores: [Double]?, releases: Int), RunError> in
      defer { progress.tick() }
      let seed = Self.trialSeed(s.seed, side: job.side, index: job.index)
      do throws(RunError) { return .success(try trial.run(learner: learners[worker], world: job.world, seed: seed)) } catch {
        return .failure(error)
      }
    }
    // scores[side][weighting][trial]
    var scores = [[[Double]]](repeating: scoreNames.map { _ in [] }, count: 4)
    var silent = 0, releases = 0
    for (job, outcome) in zip(jobs, outcomes) {
      switch outcome {
      case .failure(let error): throw error
      case .success(let result):
        if result.scores == nil { silent += 1 }
        releases = max(releases, result.releases)
        for k in scoreNames.indices { scores[Int(job.side)][k].append(result.scores?[k] ?? -.infinity) }
      }
    }
    // The score and threshold with the largest bound on the calibration trials, evaluated once.
    let choices = scoreNames.indices.map { k in
      EmpiricalPrivacy.bestThreshold(with: scores[2][k], without: scores[3][k], delta: plan.delta, confidence: options.confidence)
    }
    let chosen = choices.indices.max { choices[$0].bound < choices[$1].bound } ?? 0
    let bound = EmpiricalPrivacy.bound(
      threshold: choices[chosen].threshold, with: scores[0][chosen], without: scores[1][chosen], delta: plan.delta,
      confidence: options.confidence)
    let epsilon = plan.epsilon(client: target, rounds: releases) ?? .nan
    let accountant =
      plan.level == .example ? "rdp (subsampled)" : plan.accountant == .pld ? "exact Gaussian (pld)" : "SecLDP conversion (rdp)"
    return Result(
      mechanism: plan.mechanism.rawValue, level: plan.level.rawValue, target: target, coordinate: options.coordinate, epsilon: epsilon,
      accountant: accountant, delta: plan.delta, releases: releases, bound: bound, confidence: options.confidence,
      calibrationTrials: calibration, observed: observed, score: scoreNames[chosen],
      threatModel: threatModel(plan: plan, curious: curious), fault: options.fault,
      silentTrials: silent, wallSeconds: Date().timeIntervalSince(started))
  }

  /// Trial `index` of `side`: its own noise seed (private noise, edge key pairs, central noise).
  static func trialSeed(_ seed: UInt64, side: UInt32, index: Int) -> UInt64 {
    var stream = RandomStream(seed: seed, purpose: StreamPurpose("audit-trial"), client: side, round: UInt32(truncatingIfNeeded: index))
    return stream.nextUInt64()
  }

  /// The curious users the adversary controls and the weight of each honest client's residual:
  /// w ∝ Σ_H⁻¹ e_target for correlated noise at user level (Σ_H = σ_cdp² I + σ_cor² L_H over the
  /// honest clients), the target alone otherwise.
  func adversaryWeights(
    plan: PrivacyPlan, section: PrivacySection, graph: Graph?, target: Int
  ) throws(RunError) -> (curious: Set<Int>, weights: [Int: Double]) {
    guard plan.mechanism == .correlated, let graph else { return ([], [target: 1]) }
    var curious: Set<Int>
    switch section.curious {
    case .users(let ids): curious = Set(ids)
    case .worstSingle:
      // The single curious user that costs the target most.
      let accountant = SecLDPAccountant(graph: graph)
      let noise = DecorNoise(sigmaCDP: plan.sigmaCDP, sigmaCor: plan.sigmaCor, clip: plan.clip)
      var worst = (rho: -1.0, user: -1)
      for user in 0..<graph.nodeCount where user != target {
        do {
          if let rho = try accountant.stepLoss(noise: noise, curious: .users([user])).loss(ofUser: target), rho > worst.rho {
            worst = (rho, user)
          }
        } catch { throw .invalid(field: "privacy", value: "curious: worst", reason: error.description) }
      }
      curious = worst.user >= 0 ? [worst.user] : []
    }
    guard plan.level == .user else { return (curious, [target: 1]) }
    let column: [Int: Double]
    do {
      column = try SecLDPAccountant(graph: graph).inverseCovarianceColumn(
        noise: DecorNoise(sigmaCDP: plan.sigmaCDP, sigmaCor: plan.sigmaCor, clip: plan.clip), curious: curious.sorted(), user: target)
    } catch {
      throw .invalid(field: "privacy", value: "σ_cdp \(plan.sigmaCDP), σ_cor \(plan.sigmaCor)", reason: error.description)
    }
    guard let own = column[target], own > 0 else {
      throw .invalid(field: "privacy.sigma_cdp", value: "\(plan.sigmaCDP)", reason: "the honest noise covariance is singular")
    }
    return (curious, column.mapValues { $0 / own })
  }

  func describeObservation(plan: PrivacyPlan, target: Int, curious: Set<Int>, weights: [Int: Double]) -> String {
    let canary =
      plan.level == .user
      ? "client \(target)'s clipped update is ±C along coordinate \(options.coordinate) (sign alternating by round)"
      : "example 0 of client \(target) has gradient ±C along coordinate \(options.coordinate), its other examples none"
    switch plan.mechanism {
    case .central:
      return "the server's released aggregate each round, less every other client's contribution; \(canary)"
    case .local:
      return "client \(target)'s released messages (what the server or a neighbour receives); \(canary)"
    case .correlated:
      let known = curious.isEmpty ? "" : ", less the correlated noise on edges to curious users \(curious.sorted())"
      let combined =
        weights.count > 1
        ? "the released messages of \(weights.count) honest clients, weighted by Σ_H⁻¹ e_\(target)"
        : "client \(target)'s released messages"
      return "\(combined)\(known); \(canary)"
    case .none:
      return ""
    }
  }

  func threatModel(plan: PrivacyPlan, curious: Set<Int>) -> String {
    switch plan.mechanism {
    case .correlated:
      let who = curious.isEmpty ? "an eavesdropper on every link, no curious user" : "curious users \(curious.sorted()) and an eavesdropper"
      return
        "SecLDP, as the accountant assumes: \(who); the adversary knows every seed on edges touching a curious user, every other client's data and update, and none of the honest clients' private noise or honest–honest edge keys"
    case .local:
      return "local DP: the adversary sees the client's messages and knows everything but its noise"
    case .central:
      return "central DP with a trusted server: the adversary sees only the released aggregates and knows every other client's contribution"
    case .none:
      return ""
    }
  }
}

/// One audit trial: a fresh federation and simulation with the trial's noise seed and the canary.
struct TrialRunner: Sendable {
  let scenario: Scenario
  let plan: PrivacyPlan
  let fault: MechanismFault?
  let fixedGraph: Graph?
  let target: Int
  let coordinate: Int
  let curious: Set<Int>
  let weightings: [[Int: Double]]
  let mixture: SubsampledMixture?

  func run<L: LocalLearner>(learner: L, world: Double, seed: UInt64) throws(RunError) -> (scores: [Double]?, releases: Int) {
    let s = scenario
    var plan = self.plan
    plan.seed = seed
    plan.fault = fault
    let aggregator = try PrivacyAudit.aggregator(s)
    let federation = Federation(
      learner: learner, aggregator: aggregator, privacy: plan, population: s.clients, seed: s.seed, runName: s.name, keysSeeded: true,
      workers: 1, nonFinite: s.faults.nonFinite)
    guard coordinate >= 0 && coordinate < federation.shared.packedCount else {
      throw .invalid(
        field: "--coordinate", value: "\(coordinate)", reason: "a coordinate of the shared values, 0..<\(federation.shared.packedCount)")
    }
    federation.noiseSeed = seed
    let probe = AuditProbe(
      target: target, coordinate: coordinate, world: world, clip: plan.clip, weightings: weightings, curious: curious,
      mixture: mixture)
    federation.probe = probe
    let settings = SimulationSettings(
      clients: s.clients, seed: s.seed, workers: 1, devices: s.devices, network: s.network, keepsTrace: false)
    let (server, gossip) = try Runner.simulation(for: s, federation: federation, settings: settings, fixedGraph: fixedGraph)
    do {
      if let server { _ = try server.run() }
      if let gossip { _ = try gossip.run() }
    } catch {
      throw federation.errors.first ?? .simulation("\(error)")
    }
    if let error = federation.errors.first { throw error }
    return (probe.scores, probe.releases)
  }
}

/// Logs how many trials are done every two seconds.
final class AuditProgress: @unchecked Sendable {
  // @unchecked Sendable: counters are only touched under `lock`.
  private let lock = NSLock()
  private let total: Int
  private let log: (String) -> Void
  private var done = 0
  private var last = Date()
  private let started = Date()

  init(total: Int, log: @escaping (String) -> Void) {
    self.total = total
    self.log = log
  }

  func tick() {
    lock.lock()
    defer { lock.unlock() }
    done += 1
    let now = Date()
    if now.timeIntervalSince(last) >= 2 && done < total {
      last = now
      let elapsed = now.timeIntervalSince(started)
      log(String(format: "audit: %d/%d trials, %.0f s left", done, total, elapsed / Double(done) * Double(total - done)))
    }
  }
}
