from lstm_shapes.cli import main

main()
