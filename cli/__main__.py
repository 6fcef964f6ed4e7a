from livereview.cli.main import main

main()
