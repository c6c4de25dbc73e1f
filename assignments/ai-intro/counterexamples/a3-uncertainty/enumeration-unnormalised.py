# %% enumeration_ask
def enumeration_ask(query, evidence, network):
    # Returns the joint P(query, evidence) without normalising by alpha.
    variables = list(network)

    def enumerate_all(i, assignment):
        if i == len(variables):
            return 1.0
        var = variables[i]
        if var in assignment:
            return cond_prob(network, var, assignment[var], assignment) * enumerate_all(i + 1, assignment)
        total = 0.0
        for value in network[var]["values"]:
            assignment[var] = value
            total += cond_prob(network, var, value, assignment) * enumerate_all(i + 1, assignment)
        del assignment[var]
        return total

    return {value: enumerate_all(0, {**evidence, query: value}) for value in network[query]["values"]}
