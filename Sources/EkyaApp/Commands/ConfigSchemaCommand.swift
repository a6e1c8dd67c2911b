import ArgumentParser

/// `ekya config-schema`: the JSON Schema of `ekya run` and `ekya serve` configuration files.
struct ConfigSchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-schema",
        abstract: "Print the JSON Schema of the run and serve configuration files (docs/config.schema.json)."
    )

    func run() throws {
        print(try ConfigSchema.text(), terminator: "")
    }
}
