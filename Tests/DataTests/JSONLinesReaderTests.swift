import Testing

@testable import Data

@Suite struct JSONLinesReaderTests {
  @Test func readsStringDomainsInNameOrder() throws {
    let text = """
      {"text": "It rains.", "domain": "en", "id": 1}

      {"domain": "fr", "text": "Il pleut \\u00e0 verse \\ud83c\\udf27", "meta": {"tags": ["a", 1.5e3, null, true]}}
        {"text": "", "domain": "de"}\r
      {"text": "Tab\\there \\"quoted\\" \\\\ /", "domain": "en"}
      """
    let corpus = try JSONLinesReader().parse(text, file: "data.jsonl")
    #expect(corpus.domainNames == ["en", "fr"])  // the empty text is skipped, and its domain with it
    #expect(corpus.domains == [0, 1, 0])
    #expect(corpus.documents.map(\.text) == ["It rains.", "Il pleut à verse 🌧", "Tab\there \"quoted\" \\ /"])
  }

  @Test func integerDomainsAreIndices() throws {
    let corpus = try JSONLinesReader(textField: "body", domainField: "label").parse(
      "{\"body\": \"x\", \"label\": 2}\n{\"body\": \"y\", \"label\": 0}\n")
    #expect(corpus.domainNames == ["0", "1", "2"])
    #expect(corpus.domains == [2, 0])
    let unlabelled = try JSONLinesReader(domainField: nil).parse("{\"text\": \"z\"}", file: "dir/plain.jsonl")
    #expect(unlabelled.domainNames == ["plain.jsonl"] && unlabelled.domains == [0])
  }

  struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    /// The full error description: file:line:column: message.
    var expected: String
    var testDescription: String { name }
  }

  static let badInputs: [BadInput] = [
    BadInput(
      name: "missing comma", text: "{\"text\": \"a\", \"domain\": \"x\"}\n{\"text\": \"b\" \"domain\": \"x\"}",
      expected: "data.jsonl:2:14: found '\"', expected ',' or '}'"),
    BadInput(
      name: "not an object", text: "[1, 2]",
      expected: "data.jsonl:1:1: found '[', expected a JSON object '{'"),
    BadInput(
      name: "unterminated string, column in characters", text: "{\"text\": \"été",
      expected: "data.jsonl:1:14: found end of line, expected a closing '\"'"),
    BadInput(
      name: "trailing text", text: "{\"text\": \"a\", \"domain\": 1} x",
      expected: "data.jsonl:1:28: found 'x', expected end of line after the object"),
    BadInput(
      name: "bad literal", text: "{\"text\": \"a\", \"domain\": tru}",
      expected: "data.jsonl:1:25: found 't', expected a JSON value"),
    BadInput(
      name: "bad escape", text: "{\"text\": \"a\\q\", \"domain\": 1}",
      expected: "data.jsonl:1:13: found 'q', expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"),
    BadInput(
      name: "missing text field", text: "\n\n  {\"txt\": \"a\", \"domain\": 1}",
      expected: "data.jsonl:3:3: missing field 'text', expected an object with a string field 'text'"),
    BadInput(
      name: "missing domain field", text: "{\"text\": \"a\"}",
      expected:
        "data.jsonl:1:1: missing field 'domain', expected an object with a string or integer field 'domain'"),
    BadInput(
      name: "text is a number", text: "{\"text\": 12.5, \"domain\": 1}",
      expected: "data.jsonl:1:10: field 'text' is a number '12.5', expected a string"),
    BadInput(
      name: "domain is an array", text: "{\"text\": \"a\", \"domain\": [1]}",
      expected: "data.jsonl:1:25: field 'domain' is an array '[1]', expected a string or an integer"),
    BadInput(
      name: "domain is fractional", text: "{\"text\": \"a\", \"domain\": 1.0}",
      expected: "data.jsonl:1:25: field 'domain' is a number '1.0', expected a string or an integer"),
    BadInput(
      name: "mixed domain kinds", text: "{\"text\": \"a\", \"domain\": 1}\n{\"text\": \"b\", \"domain\": \"x\"}",
      expected: "data.jsonl:2:25: field 'domain' is a string '\"x\"', expected an integer like line 1"),
    BadInput(
      name: "negative domain", text: "{\"text\": \"a\", \"domain\": -3}",
      expected: "data.jsonl:1:25: field 'domain' = -3, expected a domain index in 0..<1048576"),
    BadInput(
      name: "lone low surrogate", text: "{\"text\": \"\\udc00\", \"domain\": 1}",
      expected: "data.jsonl:1:11: found '\\', expected a low surrogate only after a high surrogate"),
    BadInput(
      name: "raw control character", text: "{\"text\": \"a\tb\", \"domain\": 1}",
      expected: "data.jsonl:1:12: found '\t', expected an escaped control character (\\n, \\t, \\u00XX) in a string"),
    BadInput(
      name: "only blank lines", text: "\n  \n", expected: "data.jsonl: no documents, expected at least one record with non-empty text"),
  ]

  @Test(arguments: badInputs) func rejectsWithLineAndColumn(_ input: BadInput) {
    let error = dataError { () throws(DataError) in _ = try JSONLinesReader().parse(input.text, file: "data.jsonl") }
    #expect(error?.description == input.expected)
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let deep = "{\"text\": \"a\", \"domain\": 1, \"x\": " + String(repeating: "[", count: 600) + "}"
    let error = dataError { () throws(DataError) in _ = try JSONLinesReader().parse(deep, file: "d.jsonl") }
    #expect(error?.expected == "nesting at most 512 levels deep")
    #expect(error?.line == 1)
  }

  @Test func readsFilesAndPoolsDomains() throws {
    let directory = try TemporaryDirectory()
    let a = try directory.write("a.jsonl", "{\"text\": \"one\", \"domain\": \"b\"}\n")
    let b = try directory.write("b.jsonl", "{\"text\": \"two\", \"domain\": \"a\"}\n{\"text\": \"three\", \"domain\": \"b\"}\n")
    let corpus = try JSONLinesReader().read(paths: [a, b])
    #expect(corpus.domainNames == ["a", "b"] && corpus.domains == [1, 0, 1])
    let bad = try directory.write("c.jsonl", "{\"text\": \"x\", \"domain\": 4}\n")
    let error = dataError { () throws(DataError) in _ = try JSONLinesReader().read(paths: [a, bad]) }
    #expect(error?.description == "\(bad):1:25: field 'domain' is an integer '4', expected a string like \(a):1")
  }
}
