import Randomness

/// Next-token prediction windows over one token sequence: the inputs are `length` consecutive
/// tokens and the targets the same window shifted by one.
public struct TokenWindows: Sendable {
  public let tokens: [Int32]
  public let length: Int

  public init(tokens: [Int32], length: Int) {
    precondition(length > 0, "window length must be positive")
    self.tokens = tokens
    self.length = length
  }

  /// Number of disjoint evaluation windows: window k covers inputs [kN, kN+N) and targets
  /// [kN+1, kN+N+1), for k = 0 ..< (count − 1) / N.
  public var evaluationWindowCount: Int { max(0, (tokens.count - 1) / length) }

  /// Whether at least one full window fits.
  public var canSample: Bool { tokens.count > length }

  /// Fills `batch` rows of `inputs`/`targets` ((batch, length) each) with windows starting at
  /// uniformly random offsets drawn from `stream`.
  public func sample(batch: Int, inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>, stream: inout RandomStream) {
    precondition(canSample, "the sequence is shorter than one window")
    let starts = tokens.count - length
    tokens.withUnsafeBufferPointer { source in
      for row in 0..<batch {
        let start = stream.nextInt(below: starts)
        (inputs + row * length).update(from: source.baseAddress! + start, count: length)
        (targets + row * length).update(from: source.baseAddress! + start + 1, count: length)
      }
    }
  }

  /// Like `sample`, but the `batch` start positions are distinct: a uniformly random subset of the
  /// windows (what "b of m without replacement" privacy accounting assumes). Needs
  /// batch ≤ the number of windows.
  public func sampleDistinct(
    batch: Int, inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>, stream: inout RandomStream
  ) {
    let starts = tokens.count - length
    precondition(canSample && batch <= starts, "fewer windows than the batch")
    var chosen = Set<Int>()
    var order: [Int] = []
    // Rejection keeps every subset equally likely; batches are far smaller than the window count.
    while order.count < batch {
      let start = stream.nextInt(below: starts)
      if chosen.insert(start).inserted { order.append(start) }
    }
    tokens.withUnsafeBufferPointer { source in
      for (row, start) in order.enumerated() {
        (inputs + row * length).update(from: source.baseAddress! + start, count: length)
        (targets + row * length).update(from: source.baseAddress! + start + 1, count: length)
      }
    }
  }

  /// Fills the rows for evaluation windows `first ..< first + batch`; rows past the last window
  /// are padded with token 0 and ignored targets.
  public func evaluationBatch(first: Int, batch: Int, inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>) {
    tokens.withUnsafeBufferPointer { source in
      for row in 0..<batch {
        let window = first + row
        let rowInputs = inputs + row * length, rowTargets = targets + row * length
        if window < evaluationWindowCount {
          rowInputs.update(from: source.baseAddress! + window * length, count: length)
          rowTargets.update(from: source.baseAddress! + window * length + 1, count: length)
        } else {
          rowInputs.update(repeating: 0, count: length)
          rowTargets.update(repeating: ignoreIndex, count: length)
        }
      }
    }
  }
}
