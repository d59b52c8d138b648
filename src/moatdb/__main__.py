from moatdb.cli import main

main()
