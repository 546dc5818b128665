import CBLAS
import CMathShim
import Foundation
import Randomness

/// One client's convex objective in Float64: least squares or L2-regularised logistic regression
/// over its examples (rows of a design matrix). Used to reproduce papers' convex experiments,
/// where the optimum x* is known and ‖x − x*‖² is the metric.
public struct ConvexProblem: Sendable {
  public enum Loss: String, Sendable { case squared, logistic }
  /// Whether the objective sums or averages the per-example losses.
  public enum Reduction: String, Sendable { case sum, mean }

  /// (examples, dimension), row-major.
  public let features: [Double]
  /// The same matrix column-major, (dimension, examples): a coordinate of every example side by
  /// side, so margins of many examples are computed at once (vector code, the same sums).
  let columns: [Double]
  /// Regression targets, or labels in {0, 1} for logistic regression.
  public let targets: [Double]
  public let dimension: Int
  public let loss: Loss
  public let reduction: Reduction
  /// λ of the (λ/2)‖x‖² term (added once to the objective, and to every example's gradient).
  public let l2: Double

  public var examples: Int { targets.count }

  public init(features: [Double], targets: [Double], dimension: Int, loss: Loss, reduction: Reduction = .mean, l2: Double = 0) {
    precondition(dimension > 0 && features.count == targets.count * dimension, "features must be examples × dimension")
    let columns = Self.transposed(features, rows: targets.count, dimension: dimension)
    self.init(features: features, columns: columns, targets: targets, dimension: dimension, loss: loss, reduction: reduction, l2: l2)
  }

  /// The column-major copy of a row-major (rows, dimension) matrix.
  static func transposed(_ features: [Double], rows: Int, dimension: Int) -> [Double] {
    [Double](unsafeUninitializedCapacity: features.count) { c, initialized in
      features.withUnsafeBufferPointer { fedsim_transpose($0.baseAddress, rows, dimension, c.baseAddress) }
      initialized = features.count
    }
  }

  init(features: [Double], columns: [Double], targets: [Double], dimension: Int, loss: Loss, reduction: Reduction, l2: Double) {
    self.features = features
    self.columns = columns
    self.targets = targets
    self.dimension = dimension
    self.loss = loss
    self.reduction = reduction
    self.l2 = l2
  }

  // MARK: - Objective

  /// f(x): the reduced per-example losses plus (λ/2)‖x‖².
  public func value(_ x: [Double]) -> Double {
    var total = 0.0
    let z = margins(x, rows: nil)
    for k in 0..<examples { total += exampleLoss(margin: z[k], k) }
    if reduction == .mean { total /= Double(examples) }
    return total + l2 / 2 * x.reduce(0) { $0 + $1 * $1 }
  }

  func margin(_ x: [Double], _ k: Int) -> Double {
    var dot = 0.0
    for j in 0..<dimension { dot += features[k * dimension + j] * x[j] }
    return dot
  }

  /// x·a_k for the given rows (every row for nil), each sum in the order of `margin`: rows side by
  /// side in vector code over the column-major copy (the same values).
  func margins(_ x: [Double], rows: [Int]?) -> [Double] {
    precondition(x.count == dimension, "a point of dimension \(dimension)")
    return Self.rowDots(columns: columns, examples: examples, dimension: dimension, rows: rows, x: x)
  }

  /// x·a_k of a column-major (dimension, examples) matrix for the given rows (every row for nil),
  /// each sum in coordinate order.
  static func rowDots(columns: [Double], examples: Int, dimension: Int, rows: [Int]?, x: [Double]) -> [Double] {
    let count = rows?.count ?? examples
    return [Double](unsafeUninitializedCapacity: count) { z, initialized in
      columns.withUnsafeBufferPointer { c in
        x.withUnsafeBufferPointer { x in
          withRows(rows) { fedsim_column_dots(c.baseAddress, examples, dimension, $0, count, x.baseAddress, z.baseAddress) }
        }
      }
      initialized = count
    }
  }

  func exampleLoss(_ x: [Double], _ k: Int) -> Double { exampleLoss(margin: margin(x, k), k) }

  func exampleLoss(margin z: Double, _ k: Int) -> Double {
    switch loss {
    case .squared: return 0.5 * (z - targets[k]) * (z - targets[k])
    case .logistic:
      // log(1 + e^z) − y z, computed stably.
      return (z > 0 ? z + Foundation.log1p(Foundation.exp(-z)) : Foundation.log1p(Foundation.exp(z))) - targets[k] * z
    }
  }

  /// d loss_k / d margin.
  func slope(_ x: [Double], _ k: Int) -> Double { slope(margin: margin(x, k), k) }

  func slope(margin z: Double, _ k: Int) -> Double {
    switch loss {
    case .squared: return z - targets[k]
    case .logistic: return 1 / (1 + Foundation.exp(-z)) - targets[k]
    }
  }

  /// ∇f(x) over all examples (`examples == nil`) or over a batch, reduced like the objective
  /// (a mean over the batch when the reduction is a mean; the sum scaled to the full set otherwise).
  public func gradient(_ x: [Double], batch: [Int]? = nil) -> [Double] {
    var slopes = margins(x, rows: batch)
    let count = slopes.count
    for i in 0..<count { slopes[i] = slope(margin: slopes[i], batch?[i] ?? i) }
    // Row after row, as one sum per coordinate would (coordinates side by side in vector code).
    var g = [Double](repeating: 0, count: dimension)
    features.withUnsafeBufferPointer { f in
      slopes.withUnsafeBufferPointer { s in
        g.withUnsafeMutableBufferPointer { g in
          Self.withRows(batch) { fedsim_combine_rows(f.baseAddress, dimension, $0, count, s.baseAddress, g.baseAddress) }
        }
      }
    }
    let scale = reduction == .mean ? 1 / Double(count) : Double(examples) / Double(count)
    for j in 0..<dimension { g[j] = g[j] * scale + l2 * x[j] }
    return g
  }

  /// Calls `body` with the row indices (nil for every row in order).
  private static func withRows<R>(_ rows: [Int]?, _ body: (UnsafePointer<Int>?) -> R) -> R {
    guard let rows else { return body(nil) }
    return rows.withUnsafeBufferPointer { body($0.baseAddress) }
  }

  /// The gradient of example k's loss plus the L2 term.
  public func exampleGradient(_ x: [Double], _ k: Int) -> [Double] {
    let s = slope(x, k)
    return (0..<dimension).map { s * features[k * dimension + $0] + l2 * x[$0] }
  }

  /// Fraction of examples classified correctly (logistic regression), nil for least squares.
  public func accuracy(_ x: [Double]) -> Double? {
    guard loss == .logistic, examples > 0 else { return nil }
    var correct = 0
    for k in 0..<examples where (margin(x, k) > 0) == (targets[k] > 0.5) { correct += 1 }
    return Double(correct) / Double(examples)
  }

  /// FLOPs of one gradient over `batch` examples.
  public func gradientFLOPs(batch: Int) -> Double { Double(4 * batch * dimension + 2 * dimension) }

  /// The same examples with flipped labels (a label-flip adversary's data): y → 1 − y for
  /// logistic regression, y → −y for least squares.
  public func flippingLabels() -> ConvexProblem {
    ConvexProblem(
      features: features, columns: columns, targets: targets.map { loss == .logistic ? 1 - $0 : -$0 }, dimension: dimension,
      loss: loss, reduction: reduction, l2: l2)
  }

  // MARK: - Synthetic problems

  /// Decor's synthetic user (Allouah et al. 2024, §6): f_i(x) = ½‖A_i x − b_i‖² with
  /// A_i = ((i+1)/√n) I_d and b_i ~ N(0, ζ/(i+1)² I_d), stored as d examples with sum reduction.
  public static func decorQuadratic(client i: Int, clients n: Int, dimension d: Int, zeta: Double, seed: UInt64) -> ConvexProblem {
    var stream = RandomStream(seed: seed, purpose: .data, client: UInt32(truncatingIfNeeded: i))
    let a = Double(i + 1) / Double(n).squareRoot()
    var features = [Double](repeating: 0, count: d * d)
    for j in 0..<d { features[j * d + j] = a }
    let scale = zeta.squareRoot() / Double(i + 1)
    let targets = (0..<d).map { _ in scale * stream.nextGaussian() }
    return ConvexProblem(features: features, targets: targets, dimension: d, loss: .squared, reduction: .sum)
  }

  /// w* of the linear and logistic synthetic tasks, shared by every client of a seed.
  public static func syntheticTruth(dimension d: Int, seed: UInt64) -> [Double] {
    var shared = RandomStream(seed: seed, purpose: .data, client: 0xFFFF_FFFF)
    return normals(d, from: &shared)
  }

  /// Linear regression with concept shift: x ~ N(0, I), y = x·(w* + h·u_i) + σ·ε with w* ~ N(0, I)
  /// shared by all clients (`syntheticTruth`) and u_i ~ N(0, I) the client's own shift.
  ///
  /// Example k of client i is drawn from its own stream (client i, round 1, step k), so any range
  /// of examples is generated without the others — the same values either way.
  public static func linearSynthetic(
    client: Int, rows: Range<Int>, dimension d: Int, noise: Double, heterogeneity h: Double, seed: UInt64, truth: [Double]
  ) -> ConvexProblem {
    var stream = RandomStream(seed: seed, purpose: .data, client: UInt32(truncatingIfNeeded: client))
    let shift = normals(d, from: &stream)
    let weights = (0..<d).map { truth[$0] + h * shift[$0] }
    let n = rows.count
    var noiseDraws = [Double](repeating: 0, count: n)
    // One spare entry: each example's d features and its noise are drawn in place, the noise
    // landing where the next example starts (read before that example overwrites it).
    let features = [Double](unsafeUninitializedCapacity: n * d + 1) { x, initialized in
      guard let base = x.baseAddress else { return }
      for (k, example) in rows.enumerated() {
        var row = exampleStream(client: client, example: example, seed: seed)
        row.fillNormals(base + k * d, count: d + 1)
        noiseDraws[k] = base[k * d + d]
      }
      initialized = n * d
    }
    let columns = transposed(features, rows: n, dimension: d)
    // y = x·w (each sum in coordinate order) + σ·ε.
    var targets = rowDots(columns: columns, examples: n, dimension: d, rows: nil, x: weights)
    for k in 0..<n { targets[k] = targets[k] + noise * noiseDraws[k] }
    return ConvexProblem(features: features, columns: columns, targets: targets, dimension: d, loss: .squared, reduction: .mean, l2: 0)
  }

  /// `linearSynthetic` over examples 0..<examples.
  public static func linearSynthetic(
    client: Int, examples: Int, dimension d: Int, noise: Double, heterogeneity h: Double, seed: UInt64
  ) -> ConvexProblem {
    linearSynthetic(
      client: client, rows: 0..<examples, dimension: d, noise: noise, heterogeneity: h, seed: seed,
      truth: syntheticTruth(dimension: d, seed: seed))
  }

  /// Logistic regression with covariate shift: x ~ N(μ_i, I) with μ_i ~ N(0, h² I), labels
  /// y ~ Bernoulli(σ(x·w*)) with w* ~ N(0, I) shared by all clients (`syntheticTruth`), plus
  /// (λ/2)‖x‖². Example k is drawn from its own stream, as in `linearSynthetic`.
  public static func logisticSynthetic(
    client: Int, rows: Range<Int>, dimension d: Int, heterogeneity h: Double, l2: Double, seed: UInt64, truth: [Double]
  ) -> ConvexProblem {
    var stream = RandomStream(seed: seed, purpose: .data, client: UInt32(truncatingIfNeeded: client))
    let center = normals(d, from: &stream).map { h * $0 }
    let n = rows.count
    var uniforms = [Double](repeating: 0, count: n)
    // Every entry is written below: no zero-filling first.
    let features = [Double](unsafeUninitializedCapacity: n * d) { x, initialized in
      for (k, example) in rows.enumerated() {
        var row = exampleStream(client: client, example: example, seed: seed)
        if let base = x.baseAddress { row.fillNormals(base + k * d, count: d) }
        for j in 0..<d { x[k * d + j] += center[j] }
        // The label's uniform comes after the features in the example's stream.
        uniforms[k] = row.nextDouble()
      }
      initialized = n * d
    }
    let columns = transposed(features, rows: n, dimension: d)
    // y ~ Bernoulli(σ(x·w*)), each sum in coordinate order.
    let dots = rowDots(columns: columns, examples: n, dimension: d, rows: nil, x: truth)
    let targets = (0..<n).map { uniforms[$0] < 1 / (1 + Foundation.exp(-dots[$0])) ? 1.0 : 0.0 }
    return ConvexProblem(features: features, columns: columns, targets: targets, dimension: d, loss: .logistic, reduction: .mean, l2: l2)
  }

  /// `logisticSynthetic` over examples 0..<examples.
  public static func logisticSynthetic(
    client: Int, examples: Int, dimension d: Int, heterogeneity h: Double, l2: Double, seed: UInt64
  ) -> ConvexProblem {
    logisticSynthetic(
      client: client, rows: 0..<examples, dimension: d, heterogeneity: h, l2: l2, seed: seed,
      truth: syntheticTruth(dimension: d, seed: seed))
  }

  static func exampleStream(client: Int, example: Int, seed: UInt64) -> RandomStream {
    RandomStream(
      seed: seed, purpose: .data, client: UInt32(truncatingIfNeeded: client), round: 1, step: UInt32(truncatingIfNeeded: example))
  }

  static func normals(_ count: Int, from stream: inout RandomStream) -> [Double] {
    var values = [Double](repeating: 0, count: count)
    values.withUnsafeMutableBufferPointer { stream.fillNormals($0.baseAddress!, count: count) }
    return values
  }
}

extension ConvexProblem {
  /// The minimiser of Σ_i f_i: one linear solve for least squares, Newton's method for logistic
  /// regression (converged to ‖∇‖ < 1e-12 · scale). Nil when the problem is singular.
  public static func optimum(of problems: [ConvexProblem]) -> [Double]? {
    optimum(count: problems.count) { problems[$0] }
  }

  /// The minimiser of Σ_i f_i over `count` problems handed over one at a time (each pass asks for
  /// every problem again), so a population need not be held in memory.
  public static func optimum(count: Int, problem: (Int) -> ConvexProblem) -> [Double]? {
    guard count > 0 else { return nil }
    let first = problem(0)
    let d = first.dimension
    var x = [Double](repeating: 0, count: d)
    let iterations = first.loss == .squared ? 1 : 100
    for _ in 0..<iterations {
      var hessian = [Double](repeating: 0, count: d * d)
      var gradient = [Double](repeating: 0, count: d)
      for index in 0..<count {
        let problem = index == 0 ? first : problem(index)
        guard problem.dimension == d else { return nil }
        let g = problem.gradient(x)
        for j in 0..<d { gradient[j] += g[j] }
        let scale = problem.reduction == .mean ? 1 / Double(problem.examples) : 1
        for k in 0..<problem.examples {
          let weight: Double
          switch problem.loss {
          case .squared: weight = scale
          case .logistic:
            let p = 1 / (1 + Foundation.exp(-problem.margin(x, k)))
            weight = scale * p * (1 - p)
          }
          let row = problem.features[(k * d)..<((k + 1) * d)]
          cblas_dsyr(CblasRowMajor, CblasLower, Int32(d), weight, Array(row), 1, &hessian, Int32(d))
        }
        for j in 0..<d { hessian[j * d + j] += problem.l2 }
      }
      // Newton step: solve H·s = g by Cholesky (symmetric: row- and column-major agree).
      var uplo = Int8(UInt8(ascii: "U")), order = Int32(d), lda = Int32(d), info: Int32 = 0
      dpotrf_(&uplo, &order, &hessian, &lda, &info)
      guard info == 0 else { return nil }
      var step = gradient
      cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, Int32(d), hessian, Int32(d), &step, 1)
      cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(d), hessian, Int32(d), &step, 1)
      var size = 0.0
      for j in 0..<d {
        x[j] -= step[j]
        size = max(size, abs(step[j]))
      }
      if size < 1e-13 * max(1, x.map(abs).max() ?? 1) { break }
    }
    return x
  }
}
