/// Mean next-token loss of a model (with an optional adapter) over every evaluation window of a
/// token sequence, batched through one inference workspace.
public func evaluateLoss(
  model: DecoderLM, weights: ParameterSet, adapter: Adapter?, windows: TokenWindows, batchSize: Int = 16
) throws(ModelError) -> LossSum {
  try evaluateLossAndRouting(model: model, weights: weights, adapter: adapter, windows: windows, batchSize: batchSize).loss
}

/// `evaluateLoss`, and for a mixture of experts the mean gate weight on generalists per layer
/// over the evaluated tokens (nil without a mixture): CoMiGS's routing statistics.
public func evaluateLossAndRouting(
  model: DecoderLM, weights: ParameterSet, adapter: Adapter?, windows: TokenWindows, batchSize: Int = 16
) throws(ModelError) -> (loss: LossSum, generalistShare: [Double]?) {
  let count = windows.evaluationWindowCount
  guard count > 0 else { return (LossSum(), nil) }
  var share: [Double]? = adapter?.config.mixture.map { _ in [Double](repeating: 0, count: model.config.layers) }
  let batch = min(batchSize, count)
  let workspace = Workspace(
    config: model.config, lora: adapter?.config, batchSize: batch,
    sequenceLength: windows.length, keepsActivations: false)
  var inputs = [Int32](repeating: 0, count: batch * windows.length)
  var targets = inputs
  var total = LossSum()
  for first in stride(from: 0, to: count, by: batch) {
    inputs.withUnsafeMutableBufferPointer { i in
      targets.withUnsafeMutableBufferPointer { t in
        windows.evaluationBatch(first: first, batch: batch, inputs: i.baseAddress!, targets: t.baseAddress!)
      }
    }
    total =
      total
      + (try withBatch(inputs, targets) { (i, t) throws(ModelError) in
        try model.forward(weights: weights, adapter: adapter, tokens: i, targets: t, workspace: workspace)
      })
    if share != nil {
      // Only the batch's real windows (a short final batch is padded with empty ones).
      let realRows = min(batch, count - first) * windows.length
      for (layer, row) in workspace.generalistByRow.enumerated() {
        var sum = 0.0
        for r in 0..<realRows { sum += Double(row[r]) }
        share![layer] += sum / Double(count * windows.length)
      }
    }
  }
  return (total, share)
}

func withBatch<R>(
  _ inputs: [Int32], _ targets: [Int32],
  _ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>) throws(ModelError) -> R
) throws(ModelError) -> R {
  try inputs.withUnsafeBufferPointer { (i) throws(ModelError) in
    try targets.withUnsafeBufferPointer { (t) throws(ModelError) in try body(i, t) }
  }
}

extension LossSum {
  /// `{"loss", "perplexity", "tokens", "accuracy"}` as one line of JSON. JSON has no NaN or ∞: a
  /// non-finite value is written as null, and `"non_finite"` names the values and says why.
  public var json: String {
    let fields: [(String, Double)] = [("loss", mean), ("perplexity", perplexity), ("accuracy", accuracy)]
    func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
    var text = "{" + fields.map { "\"\($0.0)\": \(number($0.1))" }.joined(separator: ", ") + ", \"tokens\": \(tokens)"
    let bad = fields.filter { !$0.1.isFinite }
    if !bad.isEmpty {
      let reason =
        tokens == 0
        ? "no token was evaluated"
        : mean.isFinite
          ? "the perplexity exp(loss) overflows"
          : "the model's outputs are not finite (loss \(mean))"
      text += ", \"non_finite\": \"\(bad.map(\.0).joined(separator: ", ")): \(reason)\""
    }
    return text + "}"
  }
}
