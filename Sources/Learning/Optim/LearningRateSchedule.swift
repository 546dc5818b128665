import Foundation

/// Learning rate as a function of the optimiser step (0-based).
public enum LearningRateSchedule: Codable, Sendable, Equatable, Hashable {
  /// The same rate at every step.
  case constant(Float)
  /// Linear warm-up from 0 to `peak` over `warmupSteps`, then cosine decay to `minimum` at
  /// `totalSteps` (Hugging Face's `get_cosine_schedule_with_warmup`, with a floor).
  case warmupCosine(peak: Float, warmupSteps: Int, totalSteps: Int, minimum: Float = 0)
  /// One-cycle policy (Smith & Topin 2019) with cosine annealing, as `torch.optim.lr_scheduler.OneCycleLR`:
  /// from peak/divFactor up to peak over pctStart of the steps, then down to peak/(divFactor·finalDivFactor).
  case oneCycle(peak: Float, totalSteps: Int, pctStart: Float = 0.3, divFactor: Float = 25, finalDivFactor: Float = 1e4)

  public func rate(at step: Int) -> Float {
    switch self {
    case .constant(let rate):
      return rate
    case .warmupCosine(let peak, let warmup, let total, let minimum):
      if step < warmup { return peak * Float(step) / Float(max(1, warmup)) }
      let progress = min(1, Float(step - warmup) / Float(max(1, total - warmup)))
      return minimum + (peak - minimum) * 0.5 * (1 + cos(Float.pi * progress))
    case .oneCycle(let peak, let total, let pctStart, let divFactor, let finalDivFactor):
      let initial = peak / divFactor
      let final = initial / finalDivFactor
      let rampEnd = Float(pctStart) * Float(total) - 1
      let s = Float(min(step, total - 1))
      func cosineAnneal(_ from: Float, _ to: Float, _ fraction: Float) -> Float {
        to + (from - to) / 2 * (1 + cos(Float.pi * fraction))
      }
      if s <= rampEnd { return cosineAnneal(initial, peak, rampEnd > 0 ? s / rampEnd : 1) }
      let downLength = Float(total) - 1 - rampEnd
      return cosineAnneal(peak, final, downLength > 0 ? (s - rampEnd) / downLength : 1)
    }
  }
}

extension LearningRateSchedule {
  /// The names scenarios and command lines use.
  /// The mean of `rate(at:)` over steps `start ..< start + count` (Float64 sum of the Float32
  /// rates the optimiser uses).
  public func meanRate(from start: Int, count: Int) -> Double {
    guard count > 0 else { return Double(rate(at: start)) }
    var total = 0.0
    for step in start..<(start + count) { total += Double(rate(at: step)) }
    return total / Double(count)
  }

  public static let names = ["constant", "cosine", "one-cycle"]

  /// The schedule called `name` over `totalSteps` optimiser steps: `constant`, `cosine` (linear
  /// warm-up, then cosine decay to a tenth of the peak) or `one-cycle`; nil for another name.
  public static func named(_ name: String, peak: Float, warmupSteps: Int, totalSteps: Int) -> LearningRateSchedule? {
    switch name {
    case "constant": return .constant(peak)
    case "cosine":
      return .warmupCosine(peak: peak, warmupSteps: min(warmupSteps, totalSteps), totalSteps: totalSteps, minimum: peak / 10)
    case "one-cycle": return .oneCycle(peak: peak, totalSteps: max(1, totalSteps))
    default: return nil
    }
  }
}
