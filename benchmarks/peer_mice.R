# Peer benchmark (make bench): R's mice + glm on the same processed jobseekers data as the
# pipeline's chapter 6, for a timing comparison only (the numbers are not compared).
#
# Rscript benchmarks/peer_mice.R <jobseekers.csv> <covariates> <categorical> <outcomes>
#   covariates, categorical: comma-separated column names (the analysis plan's [covariates])
#   outcomes: comma-separated name:kind pairs (binary, continuous or count)
#
# mice(m = 5, maxit = 5, method = "pmm") on the treatment, the covariates, the outcomes and
# the unit indicators (as the pipeline's imputation model), then per outcome a glm
# (logit, gaussian or Poisson) with the covariates and unit fixed effects, pooled by
# mice::pool. Prints one line per step with its elapsed seconds.
suppressMessages(library(mice))
args <- commandArgs(trailingOnly = TRUE)
split <- function(x) if (nchar(x)) strsplit(x, ",")[[1]] else character(0)
covariates <- split(args[2])
categorical <- split(args[3])
outcomes <- do.call(rbind, lapply(split(args[4]), function(x) strsplit(x, ":")[[1]]))

t0 <- proc.time()[["elapsed"]]
data <- read.csv(args[1])
cols <- unique(c("werktop", "gemeente", covariates, outcomes[, 1]))
data <- data[!is.na(data$werktop) & !is.na(data$gemeente), cols]
for (v in c(categorical, "gemeente")) data[[v]] <- factor(data[[v]])
cat(sprintf("read %.2f s, %d rows\n", proc.time()[["elapsed"]] - t0, nrow(data)))

t1 <- proc.time()[["elapsed"]]
methods <- make.method(data)
methods[methods != ""] <- "pmm"  # pmm for every incomplete column, as the pipeline
imp <- mice(data, m = 5, maxit = 5, method = methods, seed = 20140601, printFlag = FALSE)
cat(sprintf("mice %.2f s\n", proc.time()[["elapsed"]] - t1))

t2 <- proc.time()[["elapsed"]]
rhs <- paste(c("werktop", covariates, "gemeente"), collapse = " + ")
for (i in seq_len(nrow(outcomes))) {
  family <- switch(outcomes[i, 2], binary = binomial(), continuous = gaussian(),
                   count = poisson())
  fit <- with(imp, glm(as.formula(paste(outcomes[i, 1], "~", rhs)), family = family))
  pooled <- summary(pool(fit))
  est <- pooled[pooled$term == "werktop", "estimate"]
  cat(sprintf("glm %s %s estimate %.4f\n", outcomes[i, 1], outcomes[i, 2], est))
}
cat(sprintf("glm+pool %.2f s\n", proc.time()[["elapsed"]] - t2))
cat(sprintf("total %.2f s\n", proc.time()[["elapsed"]] - t0))
