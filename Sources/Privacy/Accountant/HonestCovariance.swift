import CBLAS
import Foundation
import Graphs

/// The honest users H = V ∖ Curious and the subgraph G_H induced on them, relabelled 0..<n_H in
/// increasing order of the original ids.
struct HonestSubgraph: Sendable {
  /// Original ids of the honest users, ascending; `honest[k]` is node k of `induced`.
  let honest: [Int]
  /// G_H: its Laplacian L_H counts honest neighbours only (it is not the principal submatrix
  /// L[H, H] of the full Laplacian, whose diagonal still counts curious neighbours).
  let induced: Graph

  /// - Throws: `.curiousOutOfRange`, `.duplicateCurious`, `.noHonestUsers`.
  init(graph: Graph, curious: [Int]) throws(AccountantError) {
    let n = graph.nodeCount
    var isCurious = [Bool](repeating: false, count: n)
    for id in curious {
      guard id >= 0 && id < n else { throw .curiousOutOfRange(id: id, nodeCount: n) }
      guard !isCurious[id] else { throw .duplicateCurious(id: id) }
      isCurious[id] = true
    }
    guard curious.count < n else { throw .noHonestUsers(nodeCount: n, curiousCount: curious.count) }
    var position = [Int](repeating: -1, count: n)
    var honest: [Int] = []
    honest.reserveCapacity(n - curious.count)
    for v in 0..<n where !isCurious[v] {
      position[v] = honest.count
      honest.append(v)
    }
    var edges: [(Int, Int)] = []
    for (k, v) in honest.enumerated() {
      for w in graph.neighbours(of: v) where w > v && position[w] >= 0 { edges.append((k, position[w])) }
    }
    // Nodes and edges are valid by construction.
    guard let induced = try? Graph(nodeCount: honest.count, edges: edges) else {
      preconditionFailure("induced subgraph rejected by Graph")
    }
    self.honest = honest
    self.induced = induced
  }

  var count: Int { honest.count }

  /// The largest bound on the condition number of Σ_H that is factorised (unit roundoff · 10¹³
  /// ≈ 10⁻³).
  static let maximumCondition = 1e13

  /// diag((σ_cdp² I + σ_cor² L_H)⁻¹), by Cholesky factorisation (LAPACK `dpotrf`) and inversion
  /// from the factor (`dpotri`). σ_cor = 0 gives 1/σ_cdp² without factorising.
  ///
  /// - Throws: `.singularCovariance` when `dpotrf` finds a non-positive pivot, `.tooLarge`,
  ///   `.lapack`.
  func inverseDiagonal(sigmaCDP s: Double, sigmaCor c: Double, progress: AccountantProgressHandler? = nil) throws(AccountantError)
    -> [Double]
  {
    let n = count
    func singular(_ minor: Int?) -> AccountantError {
      .singularCovariance(sigmaCDP: s, sigmaCor: c, leadingMinor: minor, honestCount: n)
    }
    // σ_cdp = 0: Σ_H = σ_cor² L_H is singular in exact arithmetic, whatever dpotrf's rounding says.
    guard s > 0 else { throw singular(nil) }
    if c == 0 { return [Double](repeating: 1 / (s * s), count: n) }
    // κ(Σ_H) ≤ 1 + λ_max(L_H) σ_cor²/σ_cdp² ≤ 1 + 2Δ σ_cor²/σ_cdp²; past `maximumCondition` the
    // rounding error of the factorisation swamps the answer.
    let condition = 1 + 2 * Double(induced.maxDegree) * (c / s) * (c / s)
    guard condition <= Self.maximumCondition else { throw singular(nil) }
    guard n <= DenseMatrix.maximumLAPACKOrder else {
      throw .tooLarge(honestCount: n, limit: DenseMatrix.maximumLAPACKOrder)
    }
    let variance = s * s
    // dpotrf n³/3 + dpotri 2n³/3.
    let (matrix, info) = try reportingStage(
      "Cholesky inverse of the honest covariance", order: n, flops: pow(Double(n), 3), efficiency: 0.9, progress
    ) { () throws(AccountantError) in invertedCovariance(induced, variance: variance, correlated: c * c, mirror: false) }
    if info > 0 { throw singular(Int(info)) }
    if info < 0 { throw .lapack(routine: "dpotrf/dpotri", info: Int(info)) }
    // Σ_H ⪰ σ_cdp² I, so every diagonal entry of the inverse is at most 1/σ_cdp²; an entry
    // clearly above it means the factorisation lost all accuracy.
    let ceiling = (1 / variance) * (1 + 1e-6)
    let diagonal = (0..<n).map { matrix[$0 * n + $0] }
    guard diagonal.allSatisfy({ $0 > 0 && $0 <= ceiling }) else { throw singular(nil) }
    return diagonal
  }
}

/// (σ_cdp² I + σ_cor² L)⁻¹ of a graph by Cholesky (LAPACK dpotrf, dpotri), row-major n×n, and
/// LAPACK's info (> 0: not positive definite). dpotri fills one triangle; `mirror` copies it to
/// the other.
func invertedCovariance(_ graph: Graph, variance: Double, correlated: Double, mirror: Bool) -> ([Double], Int32) {
  let n = graph.nodeCount
  var matrix = [Double](repeating: 0, count: n * n)
  var info: Int32 = 0
  matrix.withUnsafeMutableBufferPointer { a in
    // The matrix is symmetric, so row-major and column-major layouts coincide.
    for i in 0..<n {
      a[i * n + i] = variance + correlated * Double(graph.degree(of: i))
      for j in graph.neighbours(of: i) { a[i * n + j] = -correlated }
    }
    var uplo = CChar(UInt8(ascii: "L"))
    var order = Int32(n), lda = Int32(n)
    dpotrf_(&uplo, &order, a.baseAddress, &lda, &info)
    if info == 0 { dpotri_(&uplo, &order, a.baseAddress, &lda, &info) }
    // Column-major lower triangle = row-major upper triangle: mirror it down.
    if mirror && info == 0 { for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { a[j * n + i] = a[i * n + j] } } }
  }
  return (matrix, info)
}
