from livereview.cli import main

main()
