from benchmarks.attacks.run import main

main()
