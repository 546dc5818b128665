import CYaml

/// Bounds on a YAML text, checked on libyaml's event stream before Yams composes a tree.
///
/// Yams shares an anchored node between its aliases, but hashes every mapping key to find
/// duplicates: ten lines of aliases to aliases used as a key ("billion laughs") hash 10⁹ nodes.
/// Real scenarios are far inside the bound. (Nesting is bounded by libyaml itself, at 1000.)
enum YAMLLimits {
  /// Nodes that aliases may add in all (each alias counts the nodes of what it repeats).
  static let maximumAliasedNodes = 100_000

  /// The alias that exceeds the bound, as a problem at its line and column; nil when the text is
  /// within it, or when it is not valid YAML (Yams then reports the syntax error).
  static func problem(in text: String) -> (line: Int, column: Int, message: String)? {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else { return nil }
    defer { yaml_parser_delete(&parser) }
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { buffer -> (line: Int, column: Int, message: String)? in
      yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
      // The node count of every anchor seen, and of every collection still open.
      var anchored: [String: Int] = [:]
      var open: [(anchor: String?, nodes: Int)] = []
      var aliased = 0
      func close(_ anchor: String?, _ nodes: Int) {
        if let anchor { anchored[anchor] = nodes }
        if !open.isEmpty { open[open.count - 1].nodes = min(open[open.count - 1].nodes + nodes, Int.max / 2) }
      }
      func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? { pointer.map { String(cString: $0) } }
      while true {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
        defer { yaml_event_delete(&event) }
        let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
        switch event.type {
        case YAML_STREAM_END_EVENT: return nil
        case YAML_SCALAR_EVENT: close(name(event.data.scalar.anchor), 1)
        case YAML_ALIAS_EVENT:
          let nodes = name(event.data.alias.anchor).flatMap { anchored[$0] } ?? 1
          aliased = min(aliased + nodes, Int.max / 2)
          if aliased > maximumAliasedNodes {
            return (
              line, column,
              "aliases repeat more than \(maximumAliasedNodes) nodes, expected a scenario without exponentially nested anchors"
            )
          }
          close(nil, nodes)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
          let anchor = event.type == YAML_SEQUENCE_START_EVENT ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
          open.append((name(anchor), 1))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
          if let last = open.popLast() { close(last.anchor, last.nodes) }
        default: break
        }
      }
    }
  }
}
