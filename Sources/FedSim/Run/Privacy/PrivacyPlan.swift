import Aggregation
import Graphs
import Privacy

/// A deliberately broken privacy mechanism, for checking that an audit catches it.
public enum MechanismFault: String, Sendable, CaseIterable {
  /// Every noise draw (private, correlated, central) at half its std.
  case halvedNoise = "halved-noise"
  /// Decor's edge keystreams restart every release: the correlated noise is the same every round,
  /// so it stops cancelling between rounds.
  case reusedKeystream = "reused-keystream"
}

/// The resolved differential privacy of a run: the aggregator's mechanism with the scenario's
/// clip, noise levels (given or calibrated to a target ε) and the accountant's per-client loss.
struct PrivacyPlan: Sendable {
  let mechanism: PrivacyMechanism
  let level: PrivacySection.Level
  let clip: Double
  /// Private noise std (local, correlated), or the std of the noise on the sum (central).
  let sigmaCDP: Double
  let sigmaCor: Double
  let delta: Double
  let accountant: PrivacySection.Accountant
  /// Seeds the private noise (an audit gives every trial its own).
  var seed: UInt64
  /// A deliberately broken mechanism (audits only: the accountant still reports the correct one's ε).
  var fault: MechanismFault? = nil
  /// Noisy releases per round: 1 at user level, the local steps at example level.
  let releasesPerRound: Int
  /// Per client: ρ_i of one user-level release, nil for a curious client.
  let rho: [Double?]
  /// Per client at example level: the subsampled curve of one release.
  let curves: [RDPCurve?]

  /// ε after `rounds` rounds of `client`'s releases; nil for a curious client.
  func epsilon(client: Int, rounds: Int) -> Double? {
    let releases = rounds * releasesPerRound
    switch level {
    case .user:
      guard let rho = rho[client] else { return nil }
      guard releases > 0 else { return 0 }
      switch accountant {
      case .rdp: return try? SecLDP.epsilon(rho: rho, steps: releases, delta: delta)
      case .pld: return try? SecLDP.exactEpsilon(rho: rho, steps: releases, delta: delta)
      }
    case .example:
      guard let curve = curves[client] else { return nil }
      return releases > 0 ? try? curve.composed(steps: releases).classicEpsilon(delta: delta).epsilon : 0
    }
  }

  /// The noise client `client` adds to release `index`: σ_cdp·N(0, I) from its private stream
  /// plus, for correlated noise, ±σ_cor·z_ij over its edges.
  ///
  /// - Throws: `OpenSSLError` when a keystream cannot be produced.
  func noise(client: Int, edges: [EdgeKey], index: Int, dimension: Int) throws(OpenSSLError) -> [Double] {
    var noise: [Double]
    switch mechanism {
    case .none, .central: return [Double](repeating: 0, count: dimension)
    case .local:
      noise = try CorrelatedNoise(sigmaCDP: sigmaCDP, sigmaCor: 0).noise(
        user: client, edges: [], round: index, dimension: dimension, seed: seed)
    case .correlated:
      let correlated = CorrelatedNoise(sigmaCDP: sigmaCDP, sigmaCor: sigmaCor)
      if fault == .reusedKeystream {
        // The edge keystreams restart every release, so the correlated part repeats.
        let privatePart = try CorrelatedNoise(sigmaCDP: sigmaCDP, sigmaCor: 0).noise(
          user: client, edges: [], round: index, dimension: dimension, seed: seed)
        let repeated = try correlated.correlated(user: client, edges: edges, round: 0, dimension: dimension)
        noise = (0..<dimension).map { privatePart[$0] + repeated[$0] }
      } else {
        noise = try correlated.noise(user: client, edges: edges, round: index, dimension: dimension, seed: seed)
      }
    }
    if fault == .halvedNoise { noise = noise.map { 0.5 * $0 } }
    return noise
  }

  /// The part of `client`'s noise in release `index` that the curious users know: the correlated
  /// noise on its edges to them (they hold those edge keys).
  func knownNoise(client: Int, edges: [EdgeKey], curious: Set<Int>, index: Int, dimension: Int) throws(OpenSSLError) -> [Double] {
    let known = edges.filter { curious.contains($0.low == client ? $0.high : $0.low) }
    guard mechanism == .correlated, !known.isEmpty else { return [Double](repeating: 0, count: dimension) }
    let round = fault == .reusedKeystream ? 0 : index
    return try CorrelatedNoise(sigmaCDP: 0, sigmaCor: sigmaCor).correlated(user: client, edges: known, round: round, dimension: dimension)
  }

  /// The plan for `mechanism` under the scenario's privacy section. `graph` is the communication
  /// graph (needed for correlated noise), `examples` each client's example count.
  static func make(
    _ section: PrivacySection?, mechanism: PrivacyMechanism, aggregator: String, graph: Graph?, clients: Int, rounds: Int,
    localSteps: Int, batchSize: Int, examples: [Int], seed: UInt64
  ) throws(RunError) -> PrivacyPlan? {
    guard mechanism != .none else {
      if section != nil {
        throw .invalid(
          field: "privacy", value: aggregator,
          reason: "aggregator \(aggregator) adds no noise: use decor, ldp or cdp with a privacy section")
      }
      return nil
    }
    guard let section else {
      throw .invalid(
        field: "privacy", value: "missing", reason: "aggregator \(aggregator) needs a privacy section (clip, sigma_cdp or target_epsilon)")
    }
    // Example level accounts for b distinct examples among a client's m (q = b/m, sensitivity
    // 2C/b): a batch larger than m cannot be drawn, so it is refused rather than silently shrunk.
    if section.level == .example, let smallest = examples.indices.min(by: { examples[$0] < examples[$1] }), batchSize > examples[smallest] {
      throw .invalid(
        field: "schedule.batch_size", value: "\(batchSize)",
        reason:
          "example-level privacy samples b distinct examples among a client's m, and client \(smallest) has only m = \(examples[smallest]); use batch_size ≤ \(examples[smallest]) (b = m is full-batch DP-GD)"
      )
    }
    let releasesPerRound = section.level == .user ? 1 : localSteps
    let steps = rounds * releasesPerRound
    let bound = SubsamplingBound(rawValue: section.subsampling) ?? .withoutReplacement
    let curiousIDs: CuriousUsers = {
      switch section.curious {
      case .users(let ids): return .users(ids)
      case .worstSingle: return .worstSingle
      }
    }()
    if mechanism == .correlated && graph == nil {
      throw .invalid(field: "topology", value: "time-varying", reason: "correlated noise needs a fixed graph (one secret per edge)")
    }

    /// Per-client ρ for noise levels (σ_cdp, σ_cor).
    func rhos(_ sigmaCDP: Double, _ sigmaCor: Double) throws(RunError) -> [Double?] {
      let c = section.clip
      switch mechanism {
      case .none: return []
      case .local, .central: return [Double?](repeating: 2 * c * c / (sigmaCDP * sigmaCDP), count: clients)
      case .correlated:
        guard let graph else { return [] }
        let accountant = SecLDPAccountant(graph: graph)
        let noise = DecorNoise(sigmaCDP: sigmaCDP, sigmaCor: sigmaCor, clip: c)
        do {
          switch curiousIDs {
          case .users:
            let step = try accountant.stepLoss(noise: noise, curious: curiousIDs)
            return (0..<clients).map { step.loss(ofUser: $0) }
          case .worstSingle:
            var worst = [Double?](repeating: nil, count: clients)
            for curious in 0..<clients {
              let step = try accountant.stepLoss(noise: noise, curious: .users([curious]))
              for client in 0..<clients {
                if let rho = step.loss(ofUser: client) { worst[client] = max(worst[client] ?? 0, rho) }
              }
            }
            return worst
          }
        } catch { throw .invalid(field: "privacy", value: "\(noise)", reason: error.description) }
      }
    }
    func curves(_ rho: [Double?]) throws(RunError) -> [RDPCurve?] {
      guard section.level == .example else { return [] }
      do {
        return try rho.enumerated().map { (client, rho) throws(AccountantError) in
          guard let rho else { return nil }
          let q = min(1, Double(batchSize) / Double(max(1, examples[client])))
          return try ExampleLevelGuarantee.roundCurve(rho: rho, batchSize: Double(batchSize), samplingRate: q, bound: bound)
        }
      } catch { throw .invalid(field: "privacy.level", value: "example", reason: error.description) }
    }
    func plan(_ sigmaCDP: Double, _ sigmaCor: Double) throws(RunError) -> PrivacyPlan {
      let rho = try rhos(sigmaCDP, sigmaCor)
      return PrivacyPlan(
        mechanism: mechanism, level: section.level, clip: section.clip, sigmaCDP: sigmaCDP, sigmaCor: sigmaCor, delta: section.delta,
        accountant: section.accountant ?? .rdp, seed: seed, releasesPerRound: releasesPerRound, rho: rho, curves: try curves(rho))
    }
    func worstEpsilon(_ sigmaCDP: Double, _ sigmaCor: Double) throws(RunError) -> Double {
      let candidate = try plan(sigmaCDP, sigmaCor)
      return (0..<clients).compactMap { candidate.epsilon(client: $0, rounds: rounds) }.max() ?? 0
    }

    var sigmaCDP = section.sigmaCDP ?? 0
    var sigmaCor = mechanism == .correlated ? (section.sigmaCor ?? 0) : 0
    if let target = section.targetEpsilon {
      let calibrating = mechanism == .correlated ? "sigma_cor" : "sigma_cdp"
      if mechanism == .correlated && section.sigmaCDP == nil {
        throw .invalid(
          field: "privacy.sigma_cdp", value: "missing", reason: "decor calibrates sigma_cor to target_epsilon for a given sigma_cdp")
      }
      if section.level == .user {
        let targetRho: Double
        do {
          // ρ* by the run's accountant: the paper's conversion inverted, or the exact Gaussian curve's.
          targetRho =
            section.accountant == .pld
            ? try SecLDP.exactTargetRho(epsilon: target, delta: section.delta, steps: steps)
            : try SecLDP.targetRho(epsilon: target, delta: section.delta, steps: steps)
        } catch {
          throw .invalid(field: "privacy.target_epsilon", value: "\(target)", reason: error.description)
        }
        if mechanism == .correlated, let graph {
          do {
            let result = try SecLDPAccountant(graph: graph).calibrateCorrelatedNoise(
              targetRho: targetRho, sigmaCDP: sigmaCDP, clip: section.clip, curious: curiousIDs)
            guard let found = result.sigmaCor else {
              throw RunError.invalid(
                field: "privacy.sigma_cdp", value: "\(sigmaCDP)",
                reason:
                  "too small for ε = \(target): even infinite correlated noise leaves ρ = \(result.floorRho) > ρ* = \(targetRho); raise sigma_cdp"
              )
            }
            sigmaCor = found
          } catch let error as RunError { throw error } catch {
            throw .invalid(field: "privacy", value: "target_epsilon \(target)", reason: "\(error)")
          }
        } else {
          sigmaCDP = section.clip * (2 / targetRho).squareRoot()
        }
      } else {
        // Example level: bisection on the calibrated σ against the worst client's ε.
        func epsilonAt(_ sigma: Double) throws(RunError) -> Double {
          mechanism == .correlated ? try worstEpsilon(sigmaCDP, sigma) : try worstEpsilon(sigma, 0)
        }
        var low = 0.0, high = mechanism == .correlated ? max(sigmaCDP, 1e-3) : section.clip
        var doublings = 0
        while try epsilonAt(high) > target {
          low = high
          high *= 2
          doublings += 1
          if doublings > 60 {
            throw .invalid(field: "privacy.target_epsilon", value: "\(target)", reason: "no \(calibrating) reaches it")
          }
        }
        if mechanism == .correlated, try epsilonAt(0) <= target { high = 0 }
        while high - low > 1e-9 * high {
          let middle = (low + high) / 2
          if try epsilonAt(middle) <= target { high = middle } else { low = middle }
        }
        if mechanism == .correlated { sigmaCor = high } else { sigmaCDP = high }
      }
    }
    guard sigmaCDP > 0 else {
      throw .invalid(field: "privacy.sigma_cdp", value: "\(sigmaCDP)", reason: "a positive noise level is required")
    }
    let result = try plan(sigmaCDP, sigmaCor)
    if result.rho.allSatisfy({ $0 == nil }) {
      throw .invalid(field: "privacy.curious", value: "all", reason: "no honest client is left")
    }
    return result
  }
}
