import CBLAS
import Foundation
import Graphs

/// The worst single curious user ("type II"): ρ_c for Curious = {c}, maximised over c.
///
/// The exact scan factorises one (n−1)×(n−1) covariance per user, O(n⁴) in all (≈ 55 s for
/// n = 1000). On larger graphs whose covariance is well conditioned, a screening pass first
/// estimates every ρ_c from the one full inverse P = (σ_cdp² I + σ_cor² L)⁻¹: making c curious
/// isolates c, i.e. removes the edges {c, j}, a rank-d_c downdate Σ′ = Σ − σ_cor² B Bᵀ with
/// B = [e_c − e_j]_{j∈N(c)}, and by Woodbury
///
///     (Σ′⁻¹)_ii = P_ii + w_iᵀ (σ_cor⁻² I − Bᵀ P B)⁻¹ w_i,    w_i = (P B)[i, ·],
///
/// while (Σ′⁻¹)[H, H] = (Σ_H^{(c)})⁻¹ since c is isolated in Σ′. That costs O(n d_c²) per user.
/// The downdate loses accuracy as κ = 1 + 2Δ σ_cor²/σ_cdp² grows (Δ: largest degree), so every
/// user whose estimate is within a margin η(κ) of the largest one is recomputed exactly, and the
/// result is the exact maximum over those. If an exactly recomputed value differs from its
/// estimate by more than half the margin, the screening is distrusted and the exact scan runs.
extension SecLDPAccountant {
  /// Graphs of at most this many nodes are always scanned exactly.
  static let exactScanNodeLimit = 200
  /// Above this κ the screening is skipped.
  static let screeningConditionLimit = 1e6

  /// ρ_c for every c: exact values for the users that may attain the maximum, and for the others
  /// (when screening) estimates known to be below it. The maximum is always exact.
  func worstSingleScan(noise: DecorNoise, exactLimit: Int = exactScanNodeLimit) throws(AccountantError) -> [Double] {
    let n = graph.nodeCount
    guard n >= 2 else { throw .noHonestUsers(nodeCount: n, curiousCount: 1) }
    let s = noise.sigmaCDP, c = noise.sigmaCor
    let kappa = s > 0 ? 1 + 2 * Double(graph.maxDegree) * (c / s) * (c / s) : .infinity
    if n > exactLimit, c > 0, kappa <= Self.screeningConditionLimit,
      let estimates = try reportingStage(
        "screening inverse of the full covariance", order: n, flops: pow(Double(n), 3), efficiency: 0.9, progress,
        { () throws(AccountantError) in try screenedSingleCuriousRhos(noise: noise) })
    {
      let margin = Self.screeningMargin(kappa: kappa)
      let largest = estimates.compactMap { $0 }.max() ?? .infinity
      var result = estimates.map { $0 ?? .infinity }
      var trustworthy = true
      let rescans = (0..<n).filter { !(result[$0] < largest * (1 - 2 * margin)) }
      for (done, user) in rescans.enumerated() {
        let exact = try exactRho(noise: noise, curious: user)
        progress?(.scan(done: done + 1, total: rescans.count))
        if let estimate = estimates[user], abs(estimate - exact) > 0.5 * margin * exact { trustworthy = false }
        result[user] = exact
      }
      if trustworthy { return result }
    }
    var rhos: [Double] = []
    rhos.reserveCapacity(n)
    for user in 0..<n {
      rhos.append(try exactRho(noise: noise, curious: user))
      progress?(.scan(done: user + 1, total: n))
    }
    return rhos
  }

  /// η(κ) = 10⁻⁹ + 100 u κ², u the unit roundoff: the relative accuracy granted to the estimates.
  static func screeningMargin(kappa: Double) -> Double { 1e-9 + 100 * Double.ulpOfOne / 2 * kappa * kappa }

  private func exactRho(noise: DecorNoise, curious user: Int) throws(AccountantError) -> Double {
    let subgraph = try HonestSubgraph(graph: graph, curious: [user])
    // An honest user with no honest neighbour sits at the ceiling 1/σ_cdp² of the diagonal
    // (Σ_H ⪰ σ_cdp² I), so ρ is the LDP level without factorising.
    if noise.sigmaCDP > 0, subgraph.induced.minDegree == 0 {
      return 2 * noise.clip * noise.clip / (noise.sigmaCDP * noise.sigmaCDP)
    }
    let diagonal = try subgraph.inverseDiagonal(sigmaCDP: noise.sigmaCDP, sigmaCor: noise.sigmaCor)
    return 2 * noise.clip * noise.clip * diagonal.max()!
  }

  /// Woodbury estimates of ρ_c (nil for a user whose small system was not positive definite in
  /// floating point); nil altogether when the full covariance cannot be factorised.
  func screenedSingleCuriousRhos(noise: DecorNoise) throws(AccountantError) -> [Double?]? {
    let n = graph.nodeCount
    guard n <= DenseMatrix.maximumLAPACKOrder else { return nil }
    let variance = noise.sigmaCDP * noise.sigmaCDP, correlated = noise.sigmaCor * noise.sigmaCor
    let scale = 2 * noise.clip * noise.clip
    // P = Σ⁻¹ over all users, both triangles filled.
    let (p, info) = invertedCovariance(graph, variance: variance, correlated: correlated, mirror: true)
    guard info == 0 else { return nil }
    var estimates = [Double?](repeating: nil, count: n)
    p.withUnsafeBufferPointer { pp in
      for user in 0..<n {
        estimates[user] = Self.woodburyRho(
          p: pp, n: n, user: user, neighbours: Array(graph.neighbours(of: user)),
          inverseCorrelated: 1 / correlated, scale: scale)
      }
    }
    return estimates
  }

  /// 2C² max_{i≠user} (Σ′⁻¹)_ii by the rank-d downdate above; nil when the d×d system fails.
  private static func woodburyRho(
    p: UnsafeBufferPointer<Double>, n: Int, user: Int, neighbours: [Int], inverseCorrelated: Double, scale: Double
  ) -> Double? {
    let d = neighbours.count
    var largest = 0.0
    if d == 0 {
      for i in 0..<n where i != user { largest = max(largest, p[i * n + i]) }
      return scale * largest
    }
    // W = P B (n × d, row-major): column k is P[·, user] − P[·, neighbours[k]].
    var w = [Double](repeating: 0, count: n * d)
    for i in 0..<n {
      let row = i * n
      for (k, j) in neighbours.enumerated() { w[i * d + k] = p[row + user] - p[row + j] }
    }
    // K = σ_cor⁻² I − Bᵀ W, (Bᵀ W)[k, l] = W[user, l] − W[neighbours[k], l].
    var k = [Double](repeating: 0, count: d * d)
    for (row, j) in neighbours.enumerated() {
      for column in 0..<d { k[row * d + column] = -(w[user * d + column] - w[j * d + column]) }
      k[row * d + row] += inverseCorrelated
    }
    // Symmetrise against rounding, then K⁻¹ by Cholesky.
    for row in 0..<d {
      for column in (row + 1)..<max(d, row + 1) {
        let mean = (k[row * d + column] + k[column * d + row]) / 2
        k[row * d + column] = mean
        k[column * d + row] = mean
      }
    }
    var info: Int32 = 0
    var uplo = CChar(UInt8(ascii: "L"))
    var order = Int32(d), lda = Int32(d)
    dpotrf_(&uplo, &order, &k, &lda, &info)
    guard info == 0 else { return nil }
    dpotri_(&uplo, &order, &k, &lda, &info)
    guard info == 0 else { return nil }
    for row in 0..<d { for column in (row + 1)..<max(d, row + 1) { k[column * d + row] = k[row * d + column] } }
    // Z = W K⁻¹; the correction for user i is Σ_k Z[i, k] W[i, k].
    var z = [Double](repeating: 0, count: n * d)
    cblas_dgemm(
      CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(d), Int32(d), 1, w, Int32(d), k, Int32(d), 0, &z,
      Int32(d))
    for i in 0..<n where i != user {
      var correction = 0.0
      for column in 0..<d { correction += z[i * d + column] * w[i * d + column] }
      largest = max(largest, p[i * n + i] + correction)
    }
    return scale * largest
  }
}
