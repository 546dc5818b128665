import Foundation
import Testing

@testable import Learning

/// Optimisers against a Float64 re-statement of PyTorch's update rules; schedules against values
/// computed by hand from their definitions.
@Suite struct OptimizerTests {
  func layout() -> ParameterLayout {
    var layout = ParameterLayout()
    layout.append("matrix", shape: [2, 3])
    layout.append("norm", shape: [4])
    return layout
  }

  func set(_ layout: ParameterLayout, _ values: [Float]) -> ParameterSet {
    let set = ParameterSet(layout: layout)
    var k = 0
    for entry in layout.entries {
      for i in 0..<entry.count {
        set.storage.pointer[entry.offset + i] = values[k]
        k += 1
      }
    }
    return set
  }

  func flat(_ set: ParameterSet) -> [Float] { set.layout.entries.flatMap { set.values($0.name) } }

  /// A copy carries its own moments: stepping the original leaves the copy where it was, so a
  /// rejected round can be undone (the copy then continues exactly as the original did).
  @Test(arguments: [OptimizerConfig.adamW(), .sgd(momentum: 0.9)])
  func copiesAreIndependentAndContinueIdentically(config: OptimizerConfig) {
    let layout = layout()
    let gradients = set(layout, [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0])
    var original = config.make(for: layout)
    let parameters = set(layout, [Float](repeating: 1, count: 10))
    original.step(parameters: parameters, gradients: gradients, learningRate: 0.1)
    var copy = original.copy()
    let saved = parameters.copy()
    original.step(parameters: parameters, gradients: gradients, learningRate: 0.1)
    let afterOriginal = flat(parameters)
    copy.step(parameters: saved, gradients: gradients, learningRate: 0.1)
    #expect(flat(saved) == afterOriginal)
  }

  /// An optimiser built for some tensors reads and writes only those (CoMiGS's two levels own
  /// disjoint tensors of one adapter): the others keep their values even with weight decay and
  /// non-zero gradients.
  @Test(arguments: [OptimizerConfig.adamW(weightDecay: 0.1), .sgd(momentum: 0.9, weightDecay: 0.1)])
  func optimisersOwnOnlyTheirTensors(config: OptimizerConfig) {
    let layout = layout()
    let gradients = set(layout, [Float](repeating: 0.5, count: 10))
    let parameters = set(layout, [Float](repeating: 1, count: 10))
    var onlyMatrix = config.make(for: layout) { $0 == "matrix" }
    for _ in 0..<3 { onlyMatrix.step(parameters: parameters, gradients: gradients, learningRate: 0.1) }
    #expect(parameters.values("norm") == [1, 1, 1, 1])
    #expect(parameters.values("matrix").allSatisfy { $0 != 1 })
  }

  @Test func adamWMatchesTheReferenceUpdate() {
    let layout = layout()
    let p0: [Float] = [0.5, -1, 2, 0.1, -0.3, 0.7, 1, 1, 1, 1]
    let params = set(layout, p0)
    var adam = AdamW(layout: layout, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1)
    var p = p0.map(Double.init), m = [Double](repeating: 0, count: 10), v = m
    for step in 1...5 {
      let g: [Float] = (0..<10).map { Float(sin(Double($0 + step))) }
      adam.step(parameters: params, gradients: set(layout, g), learningRate: 0.01)
      for i in 0..<10 {
        if i < 6 { p[i] *= 1 - 0.01 * 0.1 }  // decay on the matrix, not on the norm gains
        m[i] = 0.9 * m[i] + 0.1 * Double(g[i])
        v[i] = 0.99 * v[i] + 0.01 * Double(g[i]) * Double(g[i])
        let mHat = m[i] / (1 - pow(0.9, Double(step))), vHat = v[i] / (1 - pow(0.99, Double(step)))
        p[i] -= 0.01 * mHat / (vHat.squareRoot() + 1e-8)
      }
    }
    #expect(maxRelativeError(flat(params), p.map(Float.init)) < 1e-5)
  }

  @Test func sgdWithNesterovMomentumMatchesTheReferenceUpdate() {
    let layout = layout()
    let p0: [Float] = [0.5, -1, 2, 0.1, -0.3, 0.7, 1, 1, 1, 1]
    let params = set(layout, p0)
    var sgd = SGD(layout: layout, momentum: 0.9, nesterov: true, weightDecay: 0.01)
    var p = p0.map(Double.init), buffer = [Double](repeating: 0, count: 10)
    for step in 1...4 {
      let g: [Float] = (0..<10).map { Float(cos(Double($0 * step))) }
      sgd.step(parameters: params, gradients: set(layout, g), learningRate: 0.1)
      for i in 0..<10 {
        let gi = Double(g[i]) + (i < 6 ? 0.01 * p[i] : 0)
        buffer[i] = step == 1 ? gi : 0.9 * buffer[i] + gi
        p[i] -= 0.1 * (gi + 0.9 * buffer[i])
      }
    }
    #expect(maxRelativeError(flat(params), p.map(Float.init)) < 1e-5)
  }

  @Test func gradientClippingScalesToTheMaximumNorm() {
    let layout = layout()
    let g = set(layout, [3, 4, 0, 0, 0, 0, 0, 0, 0, 12])  // norm 13
    let norm = clipGradientNorm(g, maxNorm: 1.3)
    #expect(abs(norm - 13) < 1e-9)
    let clipped = flat(g)
    #expect(abs(clipped[0] - 0.3) < 1e-6 && abs(clipped[9] - 1.2) < 1e-6)
    let small = set(layout, [0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    clipGradientNorm(small, maxNorm: 1)
    #expect(flat(small)[0] == 0.1)
  }

  @Test func warmupCosineSchedule() {
    let schedule = LearningRateSchedule.warmupCosine(peak: 1, warmupSteps: 10, totalSteps: 110, minimum: 0.1)
    #expect(schedule.rate(at: 0) == 0)
    #expect(abs(schedule.rate(at: 5) - 0.5) < 1e-7)
    #expect(abs(schedule.rate(at: 10) - 1) < 1e-7)
    #expect(abs(schedule.rate(at: 60) - 0.55) < 1e-6)  // halfway down: 0.1 + 0.9 · 0.5
    #expect(abs(schedule.rate(at: 110) - 0.1) < 1e-7)
    #expect(abs(schedule.rate(at: 500) - 0.1) < 1e-7)
  }

  @Test func oneCycleScheduleFollowsPyTorch() {
    // OneCycleLR(max_lr=1, total_steps=100, pct_start=0.3, div_factor=25, final_div_factor=1e4)
    let schedule = LearningRateSchedule.oneCycle(peak: 1, totalSteps: 100)
    #expect(abs(schedule.rate(at: 0) - 0.04) < 1e-7)
    #expect(abs(schedule.rate(at: 29) - 1) < 1e-6)
    #expect(abs(schedule.rate(at: 99) - 4e-6) < 1e-9)
    // Midway up the ramp (step 14.5 of 29) the rate is the mean of start and peak.
    let rising = (0..<29).map { schedule.rate(at: $0) }
    #expect(zip(rising, rising.dropFirst()).allSatisfy { $0 < $1 })
  }
}
