/// Which named tensors an aggregator shares, from its `share` option: `all` (the default), or
/// comma-separated name fragments, a tensor being shared when its name contains one of them —
/// e.g. `lora_A` to share only the A matrices (the rest stays personal, as in FedSA-LoRA), or
/// `q_proj,v_proj`.
public struct TensorFilter: Sendable, Equatable {
  public let fragments: [String]

  public static let all = TensorFilter(fragments: [])

  public init(fragments: [String]) { self.fragments = fragments }

  /// Reads the `share` option.
  public init(options: AggregatorOptions) throws(AggregatorError) {
    let text = try options.string("share") ?? "all"
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !parts.isEmpty else {
      throw AggregatorError(
        aggregator: options.aggregator, option: "share", value: text, expected: "all or comma-separated tensor name fragments")
    }
    fragments = parts == ["all"] ? [] : parts
  }

  public func shares(_ name: String) -> Bool { fragments.isEmpty || fragments.contains { name.contains($0) } }
}
