import Foundation
import Graphs

/// The SecLDP accountant of Decor (Allouah, Koloskova, El Firdoussi, Jaggi, Guerraoui, "The privacy
/// power of correlated noise in decentralized learning", ICML 2024).
///
/// The adversary sees every message and, for each curious user, every seed on its edges. With
/// H the honest users, G_H the subgraph induced on them and L_H its Laplacian,
///
///     Σ_H = σ_cdp² I + σ_cor² L_H,        ρ = 2C² · max_{i∈H} (Σ_H⁻¹)_ii,
///
/// and one round is (α, αρ)-RDP at every order α for every honest user's data (neighbours: one
/// user's whole data replaced, sensitivity 2C). See `SecLDPGuarantee` for T rounds and (ε, δ).
public struct SecLDPAccountant: Sendable {
  public let graph: Graph
  /// Told about the dense steps and the worst-curious scan as they run (nil: silent).
  public var progress: AccountantProgressHandler?

  public init(graph: Graph, progress: AccountantProgressHandler? = nil) {
    self.graph = graph
    self.progress = progress
  }

  /// Diagonal entries within this relative distance of the maximum count as arg-max users
  /// (vertex-transitive graphs have equal entries up to rounding).
  public static let argmaxTolerance = 1e-10

  /// The per-round loss ρ, the users that attain it and the analytic bounds.
  ///
  /// - Throws: `AccountantError` for invalid noise parameters, curious ids out of range or
  ///   repeated, an empty honest set, or a singular covariance (σ_cdp = 0).
  public func stepLoss(noise: DecorNoise, curious: CuriousUsers) throws(AccountantError) -> SecLDPStepLoss {
    try noise.validate()
    switch curious {
    case .users(let ids):
      return try stepLoss(noise: noise, subgraph: HonestSubgraph(graph: graph, curious: ids), curious: ids, worst: [])
    case .worstSingle:
      let rhos = try worstSingleScan(noise: noise)
      let worst = rhos.max()!
      let c = rhos.firstIndex(of: worst)!
      let ties = rhos.indices.filter { rhos[$0] >= worst * (1 - Self.argmaxTolerance) }
      return try stepLoss(noise: noise, subgraph: HonestSubgraph(graph: graph, curious: [c]), curious: [c], worst: ties)
    }
  }

  /// The guarantee after `steps` rounds, with (ε, δ) at `delta`.
  public func guarantee(
    noise: DecorNoise, curious: CuriousUsers, steps: Int, delta: Double
  ) throws(AccountantError) -> SecLDPGuarantee {
    try AccountantError.requireSteps(steps)
    try AccountantError.requireProbability(delta, name: "delta")
    return try SecLDPGuarantee(step: stepLoss(noise: noise, curious: curious), steps: steps, delta: delta)
  }

  /// Σ_H⁻¹ e_user by original id (honest users only): the direction of the likelihood-ratio test
  /// between two values of `user`'s contribution when the adversary sees every honest message
  /// with the claimed noise — what an empirical audit weighs the honest users' residuals by.
  ///
  /// - Throws: `AccountantError` for invalid noise, curious ids out of range or repeated, a
  ///   curious `user`, or a singular covariance.
  public func inverseCovarianceColumn(noise: DecorNoise, curious: [Int], user: Int) throws(AccountantError) -> [Int: Double] {
    try noise.validate()
    let subgraph = try HonestSubgraph(graph: graph, curious: curious)
    guard let row = subgraph.honest.firstIndex(of: user) else { throw .curiousOutOfRange(id: user, nodeCount: graph.nodeCount) }
    let variance = noise.sigmaCDP * noise.sigmaCDP, correlated = noise.sigmaCor * noise.sigmaCor
    let (inverse, info) = invertedCovariance(subgraph.induced, variance: variance, correlated: correlated, mirror: true)
    if info > 0 {
      throw .singularCovariance(sigmaCDP: noise.sigmaCDP, sigmaCor: noise.sigmaCor, leadingMinor: Int(info), honestCount: subgraph.count)
    }
    if info < 0 { throw .lapack(routine: "dpotrf/dpotri", info: Int(info)) }
    let n = subgraph.count
    var column: [Int: Double] = [:]
    for (k, id) in subgraph.honest.enumerated() where inverse[row * n + k] != 0 { column[id] = inverse[row * n + k] }
    return column
  }

  /// ρ alone (no bounds, no eigenvalues): what the calibration searches over.
  func rho(noise: DecorNoise, curious: CuriousUsers) throws(AccountantError) -> Double {
    try noise.validate()
    switch curious {
    case .users(let ids):
      let subgraph = try HonestSubgraph(graph: graph, curious: ids)
      let diagonal = try subgraph.inverseDiagonal(sigmaCDP: noise.sigmaCDP, sigmaCor: noise.sigmaCor, progress: progress)
      return 2 * noise.clip * noise.clip * diagonal.max()!
    case .worstSingle:
      return try worstSingleScan(noise: noise).max()!
    }
  }

  private func stepLoss(
    noise: DecorNoise, subgraph: HonestSubgraph, curious: [Int], worst: [Int]
  ) throws(AccountantError) -> SecLDPStepLoss {
    let diagonal = try subgraph.inverseDiagonal(sigmaCDP: noise.sigmaCDP, sigmaCor: noise.sigmaCor, progress: progress)
    let largest = diagonal.max()!
    let argmax = diagonal.indices.filter { diagonal[$0] >= largest * (1 - Self.argmaxTolerance) }.map { subgraph.honest[$0] }
    return SecLDPStepLoss(
      noise: noise, curious: curious.sorted(), worstCurious: worst, honest: subgraph.honest,
      inverseDiagonal: diagonal, rho: 2 * noise.clip * noise.clip * largest, argmax: argmax,
      bounds: try SecLDPBounds(noise: noise, subgraph: subgraph, progress: progress))
  }
}

/// One round of the SecLDP accountant for one adversary.
public struct SecLDPStepLoss: Sendable, Hashable {
  public let noise: DecorNoise
  /// The curious users this loss is for (for `.worstSingle`, the user with the largest ρ, the
  /// smallest id among exact ties).
  public let curious: [Int]
  /// For `.worstSingle`: every user whose curiosity gives the largest ρ within `argmaxTolerance`
  /// (ascending); empty for an explicit set.
  public let worstCurious: [Int]
  /// Honest user ids, ascending.
  public let honest: [Int]
  /// (Σ_H⁻¹)_ii, aligned with `honest`.
  public let inverseDiagonal: [Double]
  /// ρ = 2C² · max_i (Σ_H⁻¹)_ii: the round is (α, αρ)-RDP at every order α.
  public let rho: Double
  /// The honest users whose entry attains the maximum (within `argmaxTolerance`), ascending.
  public let argmax: [Int]
  public let bounds: SecLDPBounds

  /// n_H.
  public var honestCount: Int { honest.count }

  /// User `id`'s own loss 2C² (Σ_H⁻¹)_ii; nil when `id` is curious or out of range.
  public func loss(ofUser id: Int) -> Double? {
    guard let k = honest.firstIndex(of: id) else { return nil }
    return 2 * noise.clip * noise.clip * inverseDiagonal[k]
  }

  /// The sensitivity-normalised noise multiplier of the equivalent scalar Gaussian mechanism,
  /// 1/√(2ρ) (its RDP α/(2σ²) equals αρ).
  public var equivalentNoiseMultiplier: Double { 1 / (2 * rho).squareRoot() }
}

/// Analytic brackets of ρ for the honest set of a `SecLDPStepLoss`.
public struct SecLDPBounds: Sendable, Hashable {
  /// 2C²/σ_cdp²: local DP, what σ_cor = 0 gives; an upper bound on every graph.
  public let ldp: Double
  /// 2C²/(n_H σ_cdp²): a trusted aggregator of the honest users' noise; a lower bound.
  public let cdp: Double
  /// Whether G_H is connected.
  public let honestSubgraphConnected: Bool
  /// λ₂(L_H) when G_H is connected.
  public let algebraicConnectivity: Double?
  /// 2C²[1/(n_H σ_cdp²) + (1 − 1/n_H)/(σ_cdp² + a σ_cor²)] with a = λ₂(L_H), when G_H is
  /// connected; an upper bound on ρ, equal to it on complete graphs.
  public let connectivity: Double?

  init(noise: DecorNoise, subgraph: HonestSubgraph, progress: AccountantProgressHandler? = nil) throws(AccountantError) {
    let twoCSquared = 2 * noise.clip * noise.clip
    let variance = noise.sigmaCDP * noise.sigmaCDP
    let n = Double(subgraph.count)
    ldp = twoCSquared / variance
    cdp = twoCSquared / (n * variance)
    honestSubgraphConnected = subgraph.induced.isConnected
    if honestSubgraphConnected {
      let order = subgraph.count
      // Tridiagonal reduction (4n³/3) dominates the eigenvalues.
      let a: Double = try reportingStage(
        "Laplacian eigenvalues (λ₂ of the honest subgraph)", order: order, flops: 4 * pow(Double(order), 3) / 3, efficiency: 0.25, progress
      ) { () throws(AccountantError) -> Double in try Self.algebraicConnectivity(of: subgraph) }
      algebraicConnectivity = a
      connectivity = twoCSquared * (1 / (n * variance) + (1 - 1 / n) / (variance + a * noise.sigmaCor * noise.sigmaCor))
    } else {
      algebraicConnectivity = nil
      connectivity = nil
    }
  }

  static func algebraicConnectivity(of subgraph: HonestSubgraph) throws(AccountantError) -> Double {
    do { return max(0, try subgraph.induced.algebraicConnectivity()) } catch {
      switch error {
      case .lapack(let routine, let info): throw .lapack(routine: routine, info: info)
      case .tooLarge(let n, let limit): throw .tooLarge(honestCount: n, limit: limit)
      default: throw .lapack(routine: "dsyevd (\(error))", info: 0)
      }
    }
  }
}
