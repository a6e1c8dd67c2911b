import ArgumentParser
import EkyaApp

@main
struct Main {
    static func main() async {
        await EkyaCommand.run()
    }
}
