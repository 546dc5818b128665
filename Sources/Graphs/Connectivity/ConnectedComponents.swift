/// The connected components of a graph.
///
/// Components are numbered 0, 1, … in the order of their smallest node, so the numbering is a
/// function of the graph alone.
public struct ConnectedComponents: Hashable, Sendable {
  /// `component[i]` is the number of the component that holds node i.
  public let component: [Int]
  /// The smallest node of each component, ascending (one representative per component).
  public let representatives: [Int]

  /// The number of components.
  public var count: Int { representatives.count }

  /// The nodes of each component, each list ascending.
  public var members: [[Int]] {
    var result = [[Int]](repeating: [], count: count)
    for (node, c) in component.enumerated() { result[c].append(node) }
    return result
  }
}

extension Graph {
  /// Connected components by breadth-first search, O(n + edges).
  public func connectedComponents() -> ConnectedComponents {
    var component = [Int](repeating: -1, count: nodeCount)
    var representatives: [Int] = []
    var queue: [Int] = []
    queue.reserveCapacity(nodeCount)
    for start in 0..<nodeCount where component[start] < 0 {
      let label = representatives.count
      representatives.append(start)
      component[start] = label
      queue.removeAll(keepingCapacity: true)
      queue.append(start)
      var head = 0
      while head < queue.count {
        let u = queue[head]
        head += 1
        for v in neighbours(of: u) where component[v] < 0 {
          component[v] = label
          queue.append(v)
        }
      }
    }
    return ConnectedComponents(component: component, representatives: representatives)
  }

  /// Whether every node can reach every other (a single node is connected).
  public var isConnected: Bool { connectedComponents().count == 1 }
}
