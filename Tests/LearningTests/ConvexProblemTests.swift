import Foundation
import Testing

@testable import Learning

@Suite struct ConvexProblemTests {
  func finiteDifference(_ problem: ConvexProblem, _ x: [Double]) -> [Double] {
    (0..<x.count).map { j in
      var plus = x, minus = x
      plus[j] += 1e-6
      minus[j] -= 1e-6
      return (problem.value(plus) - problem.value(minus)) / 2e-6
    }
  }

  @Test func gradientsMatchFiniteDifferences() {
    let problems = [
      ConvexProblem.linearSynthetic(client: 1, examples: 30, dimension: 4, noise: 0.1, heterogeneity: 0.5, seed: 2),
      ConvexProblem.logisticSynthetic(client: 2, examples: 40, dimension: 4, heterogeneity: 1, l2: 0.01, seed: 2),
      ConvexProblem.decorQuadratic(client: 3, clients: 8, dimension: 4, zeta: 1, seed: 2),
    ]
    let x = [0.3, -0.2, 0.5, 0.1]
    for problem in problems {
      let analytic = problem.gradient(x), numeric = finiteDifference(problem, x)
      for j in 0..<4 { #expect(abs(analytic[j] - numeric[j]) < 1e-6 * max(1, abs(numeric[j])), "\(problem.loss) \(j)") }
      // The mean of the per-example gradients (plus L2 once) is the full gradient for a mean reduction.
      if problem.reduction == .mean {
        var mean = [Double](repeating: 0, count: 4)
        for k in 0..<problem.examples {
          let g = problem.exampleGradient(x, k)
          for j in 0..<4 { mean[j] += g[j] / Double(problem.examples) }
        }
        for j in 0..<4 { #expect(abs(mean[j] - analytic[j]) < 1e-12) }
      }
    }
  }

  @Test func decorOptimumHasItsClosedForm() throws {
    // x* = Σ a_i b_i / Σ a_i² coordinate-wise, a_i = (i+1)/√n.
    let n = 6
    let problems = (0..<n).map { ConvexProblem.decorQuadratic(client: $0, clients: n, dimension: 3, zeta: 1, seed: 5) }
    let optimum = try #require(ConvexProblem.optimum(of: problems))
    let a = (0..<n).map { Double($0 + 1) / Double(n).squareRoot() }
    for j in 0..<3 {
      let numerator = (0..<n).reduce(0.0) { $0 + a[$1] * problems[$1].targets[j] }
      let denominator = a.reduce(0.0) { $0 + $1 * $1 }
      #expect(abs(optimum[j] - numerator / denominator) < 1e-12)
    }
  }

  @Test func logisticOptimumZeroesTheSummedGradient() throws {
    let problems = (0..<4).map {
      // Seed 5: ‖w*‖ = 2.26, labels far from coin flips (seed 9's w* has norm 0.11).
      ConvexProblem.logisticSynthetic(client: $0, examples: 50, dimension: 3, heterogeneity: 1, l2: 1e-2, seed: 5)
    }
    let optimum = try #require(ConvexProblem.optimum(of: problems))
    var total = [0.0, 0.0, 0.0]
    for problem in problems { for (j, g) in problem.gradient(optimum).enumerated() { total[j] += g } }
    #expect(total.allSatisfy { abs($0) < 1e-10 })
    #expect((problems[0].accuracy(optimum) ?? 0) > 0.6)
  }
}

@Suite struct SyntheticDataTests {
  /// Every example has its own stream: a range of examples is the same rows as the whole set's.
  @Test func rowsAreGeneratedIndependently() {
    let truth = ConvexProblem.syntheticTruth(dimension: 6, seed: 3)
    let whole = ConvexProblem.linearSynthetic(client: 4, rows: 0..<10, dimension: 6, noise: 0.1, heterogeneity: 0.5, seed: 3, truth: truth)
    let tail = ConvexProblem.linearSynthetic(client: 4, rows: 7..<10, dimension: 6, noise: 0.1, heterogeneity: 0.5, seed: 3, truth: truth)
    #expect(tail.features == Array(whole.features[42..<60]) && tail.targets == Array(whole.targets[7..<10]))
    let logistic = ConvexProblem.logisticSynthetic(client: 4, rows: 0..<10, dimension: 6, heterogeneity: 1, l2: 0, seed: 3, truth: truth)
    let middle = ConvexProblem.logisticSynthetic(client: 4, rows: 3..<5, dimension: 6, heterogeneity: 1, l2: 0, seed: 3, truth: truth)
    #expect(middle.features == Array(logistic.features[18..<30]) && middle.targets == Array(logistic.targets[3..<5]))
    // Clients differ, and so do seeds.
    let other = ConvexProblem.linearSynthetic(client: 5, rows: 0..<10, dimension: 6, noise: 0.1, heterogeneity: 0.5, seed: 3, truth: truth)
    #expect(other.features != whole.features)
  }

  /// y = x·(w* + h·u) + σε: with σ = 0 the targets are exactly linear in the features, with the
  /// client's weights shifted from w* by h·u (h = 0: w* itself).
  @Test func linearTargetsFollowTheModel() throws {
    let truth = ConvexProblem.syntheticTruth(dimension: 3, seed: 8)
    let problem = ConvexProblem.linearSynthetic(client: 2, rows: 0..<3, dimension: 3, noise: 0, heterogeneity: 0, seed: 8, truth: truth)
    for k in 0..<3 {
      let dot = (0..<3).reduce(0.0) { $0 + problem.features[k * 3 + $1] * truth[$1] }
      #expect(problem.targets[k] == dot)
    }
  }

  /// The gradient (rows side by side in vector code) is bit for bit the textbook loop: one sum
  /// per margin in coordinate order, rows accumulated in order — for sizes that exercise the
  /// kernels' blocks and tails (32-row and 4-row blocks, 32- and 4-coordinate blocks, remainders).
  @Test(
    arguments: [(10, 7, nil), (10, 7, [0, 2, 3, 5, 6, 7, 9]), (71, 103, nil), (71, 103, Array(stride(from: 70, through: 0, by: -3)))]
      as [(Int, Int, [Int]?)])
  func gradientIsTheTextbookSumBitForBit(examples: Int, dimension d: Int, batch: [Int]?) {
    let problem = ConvexProblem.linearSynthetic(client: 1, examples: examples, dimension: d, noise: 0.3, heterogeneity: 1, seed: 2)
    let x = (0..<d).map { Double($0) * 0.37 - 1 }
    let rows = batch ?? Array(0..<examples)
    var expected = [Double](repeating: 0, count: d)
    for k in rows {
      var z = 0.0
      for j in 0..<d { z += problem.features[k * d + j] * x[j] }
      for j in 0..<d { expected[j] += (z - problem.targets[k]) * problem.features[k * d + j] }
    }
    for j in 0..<d { expected[j] = expected[j] * (1 / Double(rows.count)) + 0 * x[j] }
    #expect(problem.gradient(x, batch: batch) == expected)
    var value = 0.0
    for k in 0..<examples {
      var z = 0.0
      for j in 0..<d { z += problem.features[k * d + j] * x[j] }
      value += 0.5 * (z - problem.targets[k]) * (z - problem.targets[k])
    }
    #expect(problem.value(x) == value / Double(examples) + 0 / 2 * x.reduce(0) { $0 + $1 * $1 })
  }

  /// Logistic targets are Bernoulli(σ(x·w*)) with each dot in coordinate order and the label's
  /// uniform drawn after the example's features: recomputed here from the features.
  @Test func logisticLabelsFollowTheTextbookDots() {
    let d = 41
    let truth = ConvexProblem.syntheticTruth(dimension: d, seed: 6)
    let problem = ConvexProblem.logisticSynthetic(client: 5, rows: 0..<37, dimension: d, heterogeneity: 0.5, l2: 0, seed: 6, truth: truth)
    for k in 0..<37 {
      var stream = ConvexProblem.exampleStream(client: 5, example: k, seed: 6)
      var skipped = [Double](repeating: 0, count: d)
      skipped.withUnsafeMutableBufferPointer { stream.fillNormals($0.baseAddress!, count: d) }
      var dot = 0.0
      for j in 0..<d { dot += problem.features[k * d + j] * truth[j] }
      #expect(problem.targets[k] == (stream.nextDouble() < 1 / (1 + Foundation.exp(-dot)) ? 1 : 0), "example \(k)")
    }
  }
}
