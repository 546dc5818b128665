import Foundation
import Testing

@testable import Graphs

@Suite struct EdgeListTests {
  // MARK: Accepted input

  @Test func acceptsCommentsBlankLinesAndEverySeparator() throws {
    let text = """
      # a ring of six, written every way the format allows

      nodes: 6
      0 1
      1-2        # hyphen
      2 ,3
      3\t\t4
      4 - 5\r
      5,0
      """
    #expect(try EdgeList.parse(text, file: "ring.txt") == Graph.ring(n: 6))
  }

  @Test func nodeCountIsDeclaredGivenOrInferred() throws {
    let inferred = try EdgeList.parse("0 1\n1 4\n")
    #expect(inferred.nodeCount == 5 && inferred.edgeCount == 2)
    let given = try EdgeList.parse("0 1\n", nodeCount: 8)
    #expect(given.nodeCount == 8 && given.edgeCount == 1)
    let declared = try EdgeList.parse("nodes=4\n0 1")
    #expect(declared.nodeCount == 4)
    #expect(try EdgeList.parse("NODES 3  # ok\n", nodeCount: 3) == Graph(nodeCount: 3))
    #expect(try EdgeList.parse("\u{FEFF}0 1\n").edgeCount == 1)
  }

  @Test func formatRoundTrips() throws {
    var random = stream(seed: 30)
    let graph = try Graph.wattsStrogatz(n: 40, k: 4, beta: 0.5, using: &random)
    let text = EdgeList.format(graph)
    #expect(text.hasPrefix("nodes 40\n"))
    #expect(try EdgeList.parse(text) == graph)
    #expect(try EdgeList.parse(EdgeList.format(Graph(nodeCount: 3))) == Graph(nodeCount: 3))
  }

  @Test func readsFilesAndReportsMissingOnes() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("graphs-test-\(ProcessInfo.processInfo.processIdentifier).txt")
      .path
    try "nodes 3\n0 1\n1 2\n".write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(try EdgeList.read(path: path, requireConnected: true) == Graph.path(n: 3))
    #expect(throws: EdgeListError.self) { try EdgeList.read(path: path + ".missing") }
    do {
      _ = try EdgeList.read(path: "/nonexistent/edges.txt")
    } catch {
      #expect(error.description == "/nonexistent/edges.txt: cannot read: no such file")
    }
  }

  // MARK: Rejected input

  struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var nodeCount: Int? = nil
    var requireConnected = false
    /// The full error description: file:line:column: message.
    var expected: String
    var testDescription: String { name }
  }

  static let badInputs: [BadInput] = [
    BadInput(name: "self-loop", text: "0 1\n2 2\n", expected: "edges.txt:2:1: '2 2' is a self-loop, expected two different nodes"),
    BadInput(
      name: "duplicate, reversed", text: "0 1\n1 2\n2 0\n1  0\n",
      expected: "edges.txt:4:1: '1  0' duplicates the edge on line 1, expected each edge once"),
    BadInput(
      name: "duplicate, same orientation", text: "# x\n0-1\n\n 0 - 1\n",
      expected: "edges.txt:4:2: '0 - 1' duplicates the edge on line 2, expected each edge once"),
    BadInput(
      name: "out of range, declared", text: "nodes 10\n\n# comment\n0 1\n1 2\n3 4\n1 12\n",
      expected: "edges.txt:7:3: '12' is out of range 0..<10"),
    BadInput(
      name: "out of range, caller", text: "0 1\n4 3\n", nodeCount: 4, expected: "edges.txt:2:1: '4' is out of range 0..<4"),
    BadInput(
      name: "malformed token", text: "0 1\n1 x\n",
      expected: "edges.txt:2:3: found 'x', expected a node id (a non-negative integer)"),
    BadInput(
      name: "not an integer", text: "1.5 2\n",
      expected: "edges.txt:1:1: found '1.5', expected a node id (a non-negative integer)"),
    BadInput(
      name: "negative first id", text: "-1 0\n",
      expected: "edges.txt:1:1: found '-1', expected a node id (a non-negative integer)"),
    BadInput(
      name: "negative second id", text: "0 -1\n",
      expected: "edges.txt:1:3: found '-1', expected a node id (a non-negative integer)"),
    BadInput(
      name: "one id", text: "0 1\n7\n", expected: "edges.txt:2:2: found end of line, expected a second node id"),
    BadInput(
      name: "one id then comment", text: "7 # lonely\n", expected: "edges.txt:1:3: found '#', expected a second node id"),
    BadInput(
      name: "three ids", text: "0 1 2\n", expected: "edges.txt:1:5: found '2', expected end of line or a '#' comment"),
    BadInput(
      name: "double comma", text: "1,,2\n", expected: "edges.txt:1:3: found ',', expected a node id (a non-negative integer)"),
    BadInput(
      name: "tabs and commas before junk", text: "  3\t,\t x\n",
      expected: "edges.txt:1:8: found 'x', expected a node id (a non-negative integer)"),
    BadInput(
      name: "unknown word", text: "edge 0 1\n",
      expected: "edges.txt:1:1: found 'edge', expected a node id (a non-negative integer) or 'nodes N'"),
    BadInput(
      name: "declaration after an edge", text: "0 1\nnodes 3\n",
      expected: "edges.txt:2:1: found 'nodes', expected a single 'nodes N' line before the first edge"),
    BadInput(
      name: "zero nodes declared", text: "nodes 0\n", expected: "edges.txt:1:7: '0' is not a valid node count, expected at least 1"),
    BadInput(
      name: "declared count differs from the caller's", text: "nodes 6\n0 1\n", nodeCount: 5,
      expected: "edges.txt:1:1: 'nodes 6' declares 6 nodes, expected 5 (the node count the caller requires)"),
    BadInput(
      name: "huge id", text: "0 99999999999999999999999\n",
      expected: "edges.txt:1:3: '99999999999999999999999' is too large, expected a node id below 16777216"),
    BadInput(
      name: "empty", text: "# nothing here\n\n",
      expected: "edges.txt: no edges and no node count, expected at least one edge or a 'nodes N' line"),
    BadInput(
      name: "disconnected", text: "0 1\n1 2\n3 4\n", requireConnected: true,
      expected: "edges.txt: graph has 2 connected components (one node from each: 0, 3), expected a connected graph"),
    BadInput(
      name: "disconnected with isolated nodes", text: "nodes 7\n0 1\n1 2\n3 4\n", requireConnected: true,
      expected: "edges.txt: graph has 4 connected components (one node from each: 0, 3, 5, 6), expected a connected graph"),
    BadInput(
      name: "many components", text: "nodes 9\n", requireConnected: true,
      expected:
        "edges.txt: graph has 9 connected components (one node from each: 0, 1, 2, 3, 4, …), expected a connected graph"),
  ]

  @Test(arguments: badInputs)
  func rejectsBadInput(_ input: BadInput) {
    do {
      let graph = try EdgeList.parse(
        input.text, file: "edges.txt", nodeCount: input.nodeCount, requireConnected: input.requireConnected)
      Issue.record("accepted: \(graph)")
    } catch {
      #expect(error.description == input.expected)
    }
  }

  @Test func errorsExposeTheirParts() {
    do {
      _ = try EdgeList.parse("nodes 10\n0 1\n\n# c\n2 3\n4 5\n1 12\n", file: "edges.txt")
      Issue.record("accepted")
    } catch {
      #expect(error.file == "edges.txt")
      #expect(error.line == 7 && error.column == 3)
      #expect(error.text == "12")
      #expect(error.kind == .outOfRange(nodeCount: 10))
      #expect(error.expected == "a node id in 0..<10")
      #expect(error.message == "'12' is out of range 0..<10")
    }
    do {
      _ = try EdgeList.parse("0 1\n1 2\n1 0\n", file: "g.txt")
      Issue.record("accepted")
    } catch {
      #expect(error.kind == .duplicate(firstLine: 1))
      #expect(error.line == 3 && error.column == 1 && error.text == "1 0")
    }
  }

  @Test func nonASCIITextIsShownWhole() {
    do {
      _ = try EdgeList.parse("0 1 # é\n1  2 é\n")
      Issue.record("accepted")
    } catch {
      #expect(error.line == 2 && error.column == 6 && error.text == "é")
    }
    do {
      _ = try EdgeList.parse("1 ２\n")
      Issue.record("accepted")
    } catch {
      #expect(error.column == 3 && error.text == "２")
    }
  }
}
