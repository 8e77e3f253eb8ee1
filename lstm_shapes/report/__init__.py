"""report layer"""
