import Foundation

/// Sum of token losses and number of predicted tokens.
public struct LossSum: Sendable, Equatable {
  public var total: Double
  public var tokens: Int
  /// Predicted tokens whose target was the arg-max of the logits (counted by evaluation only).
  public var correct: Int

  public init(total: Double = 0, tokens: Int = 0, correct: Int = 0) {
    self.total = total
    self.tokens = tokens
    self.correct = correct
  }

  /// Mean loss per predicted token (NaN when no token was predicted).
  public var mean: Double { tokens > 0 ? total / Double(tokens) : .nan }
  /// exp(mean loss).
  public var perplexity: Double { exp(mean) }
  /// Next-token accuracy (NaN when no token was predicted).
  public var accuracy: Double { tokens > 0 ? Double(correct) / Double(tokens) : .nan }

  public static func + (lhs: LossSum, rhs: LossSum) -> LossSum {
    LossSum(total: lhs.total + rhs.total, tokens: lhs.tokens + rhs.tokens, correct: lhs.correct + rhs.correct)
  }
}

/// Target id that contributes no loss (PyTorch's default ignore index).
public let ignoreIndex: Int32 = -100

/// Softmax cross-entropy over `rows` rows of `vocab` logits. When `gradientScale` is given, the
/// logits are overwritten with gradientScale · (softmax − onehot) (zero rows for ignored targets).
@inlinable
func crossEntropy(
  logits: UnsafeMutablePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, vocab: Int,
  gradientScale: Float?
) -> LossSum {
  var result = LossSum()
  for r in 0..<rows {
    let row = logits + r * vocab
    let target = Int(targets[r])
    if target == Int(ignoreIndex) {
      if gradientScale != nil { row.update(repeating: 0, count: vocab) }
      continue
    }
    let maxLogit = vectorMax(row, vocab)
    var sum: Double = 0
    let shiftedTarget = Double(row[target] - maxLogit)
    if let scale = gradientScale {
      let floatSum = exponentiate(row, vocab, shift: maxLogit)
      sum = Double(floatSum)
      result.total += log(sum) - shiftedTarget
      Learning.scale(row, vocab, by: scale / floatSum)
      row[target] -= scale
    } else {
      for j in 0..<vocab { sum += Double(expf(row[j] - maxLogit)) }
      result.total += log(sum) - shiftedTarget
      // Arg-max with the lowest index on ties, as torch.argmax.
      if row[target] == maxLogit, (0..<target).allSatisfy({ row[$0] < maxLogit }) { result.correct += 1 }
    }
    result.tokens += 1
  }
  return result
}
