"""The seeded generator of the bundled sample and of benchmark inputs."""
